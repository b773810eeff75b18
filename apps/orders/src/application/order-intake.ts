import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { IntakeOverloaded, OrderPlacedV1 } from '@app/contracts';
import { captureTraceContext, currentTraceId, isTransientError, Outbox, type TraceContext, withTraceContext } from '@app/messaging';
import { Order } from '../domain/order';
import { placedEntry } from '../domain/order.decide';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderChanges } from './order-changes';

/**
 * A new order and the OrderPlaced event that announces it (placeOrder), built from a `POST /orders` body that
 * passed validation: the outbox does not check the event again (PlaceOrderRequest's rules are OrderPlacedV1's,
 * which `orders.dto.spec.ts` holds them to). Its first timeline entry (placedEntry) is written with it, under
 * the id the outbox gives the event.
 */
export interface Placement {
  order: Order;
  event: OrderPlacedV1;
  /** With tracing on, the request's trace: its order may be committed in another request's transaction. */
  traceContext?: TraceContext;
}

export interface OrderIntakeOptions {
  /** Place-order transactions in flight at once; orders arriving meanwhile wait and go in the next one. */
  concurrency: number;
  /** Most orders in one transaction (1: a transaction per order). */
  maxBatch: number;
  /**
   * An order that waited this long without its transaction starting (every transaction in flight is
   * stuck: the database stalled) fails with IntakeOverloaded (DATABASE_BUSY, a 503 to retry), as a
   * request waiting this long for a pooled connection would.
   */
  waitTimeoutMs: number;
}

export const ORDER_INTAKE_OPTIONS = Symbol('ORDER_INTAKE_OPTIONS');

interface Waiting {
  placement: Placement;
  done(err?: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * Group commit for new orders: each order still gets its answer only once it is committed, but
 * orders that arrive while `concurrency` place-order transactions are in flight wait for one to
 * finish and then commit together, in one transaction (one BEGIN/COMMIT, one WAL flush, one outbox
 * statement, one round trip with a pipelining client). An order arriving at a quiet moment starts
 * its transaction at once, so nothing waits for a batch to fill.
 *
 * A batch the database refuses is not failed as a whole: its orders are committed again one by one,
 * so a single order it refuses fails alone. A transient failure (the database down or unreachable, a
 * pool timeout) fails the whole batch at once.
 */
@Injectable()
export class OrderIntake {
  private readonly logger = new Logger(OrderIntake.name);
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  readonly stats = { orders: 0, transactions: 0, batchesSplit: 0, timedOut: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly outbox: Outbox,
    @Inject(ORDER_INTAKE_OPTIONS) private readonly options: OrderIntakeOptions,
    @Optional() private readonly changes?: OrderChanges,
  ) {}

  /** Resolves once the order and its event are committed; rejects with the database's error if not. */
  place(placement: Placement): Promise<void> {
    const traceContext = captureTraceContext();
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = {
        placement: traceContext ? { ...placement, traceContext } : placement,
        done: (err) => (err === undefined ? resolve() : reject(err)),
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(waiting);
          if (at < 0) return; // its transaction has started
          this.waiting.splice(at, 1);
          this.stats.timedOut++;
          reject(new IntakeOverloaded(this.options.waitTimeoutMs));
        }, this.options.waitTimeoutMs),
      };
      this.waiting.push(waiting);
      this.startTransactions();
    });
  }

  private startTransactions(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.concurrency) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      batch.forEach((w) => clearTimeout(w.timer));
      this.inFlight++;
      // (tracing on: its statements' spans belong to its first order's request, not to whichever started it)
      void withTraceContext(batch[0].placement.traceContext, () => this.commitBatch(batch)).finally(() => {
        this.inFlight--;
        this.startTransactions();
      });
    }
  }

  private async commitBatch(batch: Waiting[]): Promise<void> {
    try {
      await this.commit(batch.map((w) => w.placement));
      this.stats.orders += batch.length;
      batch.forEach((w) => w.done());
      return;
    } catch (err) {
      // the database down or unreachable fails every order alike: they get their error now, not
      // after a retry of each one in turn
      if (batch.length === 1 || isTransientError(err)) {
        batch.forEach((w) => w.done(err));
        return;
      }
      this.stats.batchesSplit++;
      this.logger.warn(`a batch of ${batch.length} new orders failed (${(err as Error).message}); committing them one by one`);
    }
    for (const w of batch) {
      try {
        await this.commit([w.placement]);
        this.stats.orders++;
        w.done();
      } catch (err) {
        w.done(err);
      }
    }
  }

  private async commit(placements: Placement[]): Promise<void> {
    this.stats.transactions++;
    await this.dataSource.transaction((tx) => this.write(tx, placements));
  }

  /**
   * Writes the orders, their first timeline entries and their OrderPlaced events in the caller's transaction.
   * Tracing on, each order keeps the trace id of its request (a placement's captured context, or the one in
   * progress when the caller's own request writes it).
   */
  async write(tx: EntityManager, placements: Placement[]): Promise<void> {
    const events = await this.outbox.enqueue(
      tx,
      placements.map(({ order, event, traceContext }) => ({
        data: event,
        orderId: order.id,
        correlationId: order.correlationId,
        occurredAt: order.createdAt,
        prevalidated: true,
        traceContext,
      })),
    );
    const written: Order[] = [];
    for (let i = 0; i < placements.length; i++) {
      const { order: placed, traceContext } = placements[i];
      const traceId = currentTraceId(traceContext);
      const order = traceId ? { ...placed, traceId } : placed;
      await this.orders.insert(tx, order, { ...placedEntry(order), eventId: events[i].id });
      written.push(order);
    }
    this.changes?.placed(tx, written);
  }
}
