import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { kafkaUsable, KafkaProbeService } from '@app/messaging';
import { OrdersConfig } from '../config';
import { addStall, overdueCutoff, Stall } from '../domain/saga-clock';
import { OrdersRepository } from '../persistence/orders.repository';
import { CancelOrderService } from './cancel-order.service';

/** Orders cancelled per scan at most; a longer backlog is taken by the next scans. */
const SCAN_LIMIT = 200;

/**
 * One replica scans at a time: a transaction-level advisory lock (one bigint key, a space apart from the
 * relay's two-key locks) in a transaction on a connection of the scan's own. Not a connection of the pool:
 * the scan and its cancels need those, all of them with DB_POOL_SIZE=1. The lock goes with the transaction:
 * when the scan ends, when its process dies, and when its process freezes or is cut off: the scan touches the
 * transaction before each cancel, and PostgreSQL ends it after LOCK_IDLE_TIMEOUT_MS without one, so the other
 * replicas take over instead of skipping every round until TCP notices.
 */
const LOCK_IDLE_TIMEOUT_MS = 30_000;
const SCAN_LOCK_KEY = `hashtextextended('orders:deadline-scan', 0)`;

/**
 * The saga's deadline: an order not final ORDER_DEADLINE_SECONDS after it was placed is cancelled
 * by the system, through the customer's cancel path (OrderCancelled: inventory releases the stock,
 * shipping cancels any shipment). Without it, an order whose next event was dead-lettered would wait
 * forever. One replica scans at a time (the others skip that round): side by side they would read the same
 * overdue orders and queue on their row locks. The cancel still locks the order and re-checks its status.
 * The deadline only counts time in which the saga could run, as this process sees it: not the time before
 * it started (after an outage of orders itself, the events its orders wait for may still be unread in its
 * own topics), nor time in which it found Kafka unusable: the broker unreachable or its own consumer down
 * (its events wait in its outbox, and the replies in the other services' or in its topics). Those orders are not stuck, and are finished once the saga runs again.
 */
@Injectable()
export class OrderDeadline implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OrderDeadline');
  private readonly deadlineMs: number;
  private readonly databaseUrl: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Spans in which the saga could not run: before this process started, and while Kafka was unusable. */
  private readonly stalls: Stall[] = [{ from: -Infinity, to: Date.now() }];
  /** When Kafka was last found usable (or the process started): an unusable Kafka is taken as down since. */
  private lastUsableAt = Date.now();
  private kafkaDownSince: number | null = null;

  /** Scans this instance skipped because another replica was scanning. */
  readonly stats = { scansSkipped: 0 };
  /** How long the scan's lock outlives a scan that stopped touching it (a frozen or cut-off process). */
  lockIdleTimeoutMs = LOCK_IDLE_TIMEOUT_MS;

  constructor(
    config: OrdersConfig,
    private readonly orders: OrdersRepository,
    private readonly cancels: CancelOrderService,
    private readonly kafka?: KafkaProbeService,
  ) {
    this.deadlineMs = config.ORDER_DEADLINE_SECONDS * 1000;
    this.databaseUrl = config.DATABASE_URL;
  }

  onApplicationBootstrap(): void {
    this.stalls.splice(0, this.stalls.length, { from: -Infinity, to: Date.now() });
    this.lastUsableAt = Date.now();
    if (this.deadlineMs > 0) this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Asks readiness' probe whether Kafka is usable (the broker answers, this service's consumer is not
   * down): while it is not, the deadline is paused (the time since it last was counts as a stall) and
   * nothing is cancelled. Returns whether it was usable.
   */
  async checkKafka(now = Date.now()): Promise<boolean> {
    if (!this.kafka) return true;
    const probe = await this.kafka.probe();
    if (!kafkaUsable(probe)) {
      addStall(this.stalls, { from: this.lastUsableAt, to: now });
      if (this.kafkaDownSince === null) {
        this.kafkaDownSince = this.lastUsableAt;
        const why = probe.brokerReachable ? `its consumer is ${probe.consumer}` : (probe.error ?? 'no broker');
        this.logger.warn(`Kafka is unusable (${why}): the orders' deadline is paused until it is back`);
      }
      return false;
    }
    if (this.kafkaDownSince !== null) {
      addStall(this.stalls, { from: this.lastUsableAt, to: now });
      const seconds = Math.round((now - this.kafkaDownSince) / 1000);
      this.logger.log(`Kafka is usable again: the orders' deadline counts again, ${seconds} s later for the orders open meanwhile`);
      this.kafkaDownSince = null;
    }
    this.lastUsableAt = Math.max(this.lastUsableAt, now);
    return true;
  }

  /** Cancels every order past the deadline at `now`; returns how many it cancelled (0 when another replica is scanning). */
  async expireOverdue(now = new Date()): Promise<number> {
    const cutoffMs = overdueCutoff(now.getTime(), this.deadlineMs, this.stalls);
    if (cutoffMs === null) return 0;
    const cutoff = new Date(cutoffMs);
    // most rounds find nothing overdue: asked through the pool first, without a connection of its own
    if ((await this.orders.findOpenPlacedBefore(cutoff, 1)).length === 0) return 0;
    const session = new Client({
      connectionString: this.databaseUrl,
      application_name: 'orders-deadline-scan',
      connectionTimeoutMillis: 5000,
      idle_in_transaction_session_timeout: this.lockIdleTimeoutMs,
    });
    session.on('error', () => {}); // a lost session has freed the lock; the next touch reports it
    try {
      await session.connect();
      await session.query('BEGIN');
      const { rows } = await session.query(`SELECT pg_try_advisory_xact_lock(${SCAN_LOCK_KEY}) AS locked`);
      if (!rows[0].locked) {
        this.stats.scansSkipped++;
        return 0;
      }
      // a touch fails once the lock is gone (the session was ended): the scan stops, the next round starts over
      return await this.scan(cutoff, () => session.query('SELECT 1').then(() => undefined));
    } finally {
      await session.end().catch(() => {}); // ending the session ends the transaction and gives the lock back
    }
  }

  private async scan(cutoff: Date, touchLock: () => Promise<void>): Promise<number> {
    const reason = `not final ${this.deadlineMs / 1000} s after it was placed: cancelled by the system`;
    let cancelled = 0;
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const due = await this.orders.findOpenPlacedBefore(cutoff, SCAN_LIMIT, after);
      for (const order of due) {
        if (this.stopped) return cancelled;
        await touchLock();
        try {
          const outcome = await this.cancels.cancel(order.id, reason, new Date());
          // not cancellable: it reached a final state since the scan read it (or a replica cancelled it)
          if (outcome.kind === 'cancelled') {
            cancelled++;
            this.logger.warn({ msg: `order ${order.id} ${reason}`, orderId: order.id });
          } else if (outcome.kind === 'not-found') {
            this.logger.error({ msg: `order ${order.id} is past its deadline but could not be cancelled: ${outcome.error.message}`, orderId: order.id });
          }
        } catch (err) {
          // logged, and the next scan tries again; the cursor moves on, so one order that cannot be
          // cancelled does not hold back the others
          this.logger.error({ msg: `order ${order.id} is past its deadline but could not be cancelled: ${(err as Error).message}`, orderId: order.id });
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
      this.running = this.checkKafka()
        .then((usable) => (usable ? this.expireOverdue() : 0))
        .catch((err) => this.logger.warn(`deadline scan failed (${(err as Error).message}); trying again`))
        .finally(() => this.schedule());
    }, interval);
    this.timer.unref();
  }
}
