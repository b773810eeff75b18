import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS } from '@app/messaging';
import { ServiceMetrics } from '@app/platform';
import { FINAL_STATUSES, OrderStatus } from '../domain/order';
import { OrderChange, OrderChanges } from './order-changes';

/** Placed-to-final latency buckets (seconds): a saga takes milliseconds to its deadline (minutes). */
const SAGA_BUCKETS = [...LATENCY_BUCKETS, 120, 300, 600, 1800];

/**
 * orders_final_total (status) and order_placed_to_final_seconds: an order is counted when the transaction
 * that took it from PENDING or RESERVED to a final state commits (OrderChanges: a rolled-back one counts
 * nothing, and an order moves to a final state once: later events add facts without moving it).
 */
@Injectable()
export class OrderMetrics {
  private readonly byStatus: Map<OrderStatus, Counter.Internal>;
  private readonly placedToFinal: Histogram;

  constructor(metrics: ServiceMetrics, changes: OrderChanges) {
    const registers = [metrics.registry];
    const finals = new Counter({ name: 'orders_final_total', help: 'Orders that reached a final state, by status', labelNames: ['status'], registers });
    this.byStatus = new Map(FINAL_STATUSES.map((s) => [s, finals.labels(s)]));
    this.placedToFinal = new Histogram({
      name: 'order_placed_to_final_seconds',
      help: 'From an order placed to its final state',
      buckets: SAGA_BUCKETS,
      registers,
    });
    if (metrics.enabled) changes.listen((committed) => this.count(committed));
  }

  private count(committed: readonly OrderChange[]): void {
    const now = Date.now();
    for (const { before, order } of committed) {
      if (before === null || FINAL_STATUSES.includes(before) || !FINAL_STATUSES.includes(order.status)) continue;
      this.byStatus.get(order.status)?.inc();
      this.placedToFinal.observe(Math.max(0, now - order.createdAt.getTime()) / 1000);
    }
  }
}
