import { Injectable, Optional } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { LATENCY_BUCKETS } from '@app/messaging';
import { ServiceMetrics } from '@app/platform';
import { FINAL_STATUSES, Order, OrderStatus } from '../domain/order';

/** Where a transaction keeps the orders it took to a final state, counted once it commits. */
const ENDED = Symbol('orders.ended');

/** Placed-to-final latency buckets (seconds): a saga takes milliseconds to its deadline (minutes). */
const SAGA_BUCKETS = [...LATENCY_BUCKETS, 120, 300, 600, 1800];

/**
 * orders_final_total (status) and order_placed_to_final_seconds: an order is counted when the transaction
 * that took it from PENDING or RESERVED to a final state commits (a rolled-back one counts nothing, and an
 * order moves to a final state once: later events add facts without moving it).
 */
@Injectable()
export class OrderMetrics implements EntitySubscriberInterface {
  private readonly byStatus: Map<OrderStatus, Counter.Internal>;
  private readonly placedToFinal: Histogram;
  private readonly counting: boolean;

  constructor(metrics: ServiceMetrics, @Optional() dataSource?: DataSource) {
    this.counting = metrics.enabled;
    const registers = [metrics.registry];
    const finals = new Counter({ name: 'orders_final_total', help: 'Orders that reached a final state, by status', labelNames: ['status'], registers });
    this.byStatus = new Map(FINAL_STATUSES.map((s) => [s, finals.labels(s)]));
    this.placedToFinal = new Histogram({ name: 'order_placed_to_final_seconds', help: 'From an order placed to its final state', buckets: SAGA_BUCKETS, registers });
    if (metrics.enabled) dataSource?.subscribers.push(this);
  }

  /** `before` was the order's status when locked; `after` is the order as saved in `tx`. */
  moved(tx: EntityManager, before: OrderStatus, after: Order): void {
    if (!this.counting || FINAL_STATUSES.includes(before) || !FINAL_STATUSES.includes(after.status) || !tx.queryRunner) return;
    const data = tx.queryRunner.data as Record<symbol, Order[] | undefined>;
    (data[ENDED] ??= []).push(after);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) return; // a savepoint released: the outermost COMMIT counts
    const data = event.queryRunner.data as Record<symbol, Order[] | undefined>;
    const ended = data[ENDED];
    if (!ended) return;
    delete data[ENDED];
    const now = Date.now();
    for (const order of ended) {
      this.byStatus.get(order.status)?.inc();
      this.placedToFinal.observe(Math.max(0, now - order.createdAt.getTime()) / 1000);
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete (event.queryRunner.data as Record<symbol, unknown>)[ENDED];
  }
}
