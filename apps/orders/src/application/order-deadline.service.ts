import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DomainError } from '@app/platform';
import { OrdersConfig } from '../config';
import { OrdersRepository } from '../persistence/orders.repository';
import { CancelOrderService } from './cancel-order.service';

/** Orders cancelled per scan at most; a longer backlog is taken by the next scans. */
const SCAN_LIMIT = 200;

/**
 * The saga's deadline: an order not final ORDER_DEADLINE_SECONDS after it was placed is cancelled
 * by the system, through the customer's cancel path (OrderCancelled: inventory releases the stock,
 * shipping cancels any shipment). Without it, an order whose next event was dead-lettered would wait
 * forever. Replicas may scan side by side: the cancel locks the order and re-checks its status.
 * The deadline only counts time this process has been running: after an outage of orders itself, the
 * events its orders wait for may still be unread in its own topics, and those orders are not stuck.
 */
@Injectable()
export class OrderDeadline implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OrderDeadline');
  private readonly deadlineMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private startedAt = Date.now();

  constructor(
    config: OrdersConfig,
    private readonly orders: OrdersRepository,
    private readonly cancels: CancelOrderService,
  ) {
    this.deadlineMs = config.ORDER_DEADLINE_SECONDS * 1000;
  }

  onApplicationBootstrap(): void {
    this.startedAt = Date.now();
    if (this.deadlineMs > 0) this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Cancels every order past the deadline at `now`; returns how many it cancelled. */
  async expireOverdue(now = new Date()): Promise<number> {
    if (now.getTime() - this.startedAt < this.deadlineMs) return 0;
    const reason = `not final ${this.deadlineMs / 1000} s after it was placed: cancelled by the system`;
    let cancelled = 0;
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const due = await this.orders.findOpenPlacedBefore(new Date(now.getTime() - this.deadlineMs), SCAN_LIMIT, after);
      for (const order of due) {
        if (this.stopped) return cancelled;
        try {
          await this.cancels.cancel(order.id, reason, new Date());
          cancelled++;
          this.logger.warn(`order ${order.id} ${reason}`);
        } catch (err) {
          // ORDER_NOT_CANCELLABLE: it reached a final state since the scan read it (or a replica
          // cancelled it). Anything else is logged and the next scan tries again; the cursor moves
          // on, so one order that cannot be cancelled does not hold back the others.
          if (!(err instanceof DomainError && err.code === 'ORDER_NOT_CANCELLABLE')) {
            this.logger.error(`order ${order.id} is past its deadline but could not be cancelled: ${(err as Error).message}`);
          }
        }
      }
      if (due.length < SCAN_LIMIT) return cancelled;
      after = due[due.length - 1];
    }
  }

  /** Scans a few times per deadline (every 1-60 s), so an order is cancelled soon after it is due. */
  private schedule(): void {
    if (this.stopped) return;
    const interval = Math.min(60_000, Math.max(1000, this.deadlineMs / 4));
    this.timer = setTimeout(() => {
      this.running = this.expireOverdue()
        .catch((err) => this.logger.warn(`deadline scan failed (${(err as Error).message}); trying again`))
        .finally(() => this.schedule());
    }, interval);
    this.timer.unref();
  }
}
