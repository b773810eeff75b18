import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderNotCancellable, OrderNotFound } from '@app/contracts';
import { Outbox } from '@app/messaging';
import { OrderStatus } from '../domain/order';
import { decideCancel } from '../domain/order.decide';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderView, toOrderView } from './order.view';
import { OrderChanges } from './order-changes';

/** What a cancel did; the refusals carry the error the customer's cancel answers with. */
export type CancelOutcome =
  | { kind: 'cancelled'; order: OrderView }
  | { kind: 'not-found'; error: OrderNotFound }
  /** Past the states a cancel may take it from, or (cancelIfStillWaiting) no longer waiting for the step. */
  | { kind: 'not-cancellable'; error: OrderNotCancellable };

/** Cancels a PENDING or RESERVED order and tells inventory and shipping (OrderCancelled). */
@Injectable()
export class CancelOrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly outbox: Outbox,
    @Optional() private readonly changes?: OrderChanges,
  ) {}

  /** The customer's cancel, and the deadline's: any order still PENDING or RESERVED once locked. */
  cancel(orderId: string, reason: string | undefined, now = new Date()): Promise<CancelOutcome> {
    return this.run(orderId, reason, now);
  }

  /**
   * The system's cancel of an order stuck at a step (a dead letter): decided on what the order looked like
   * before it was locked, so it cancels only while the locked order still waits in one of `waitsIn`.
   */
  cancelIfStillWaiting(orderId: string, waitsIn: readonly OrderStatus[], reason: string, now = new Date()): Promise<CancelOutcome> {
    return this.run(orderId, reason, now, waitsIn);
  }

  private run(orderId: string, reason: string | undefined, now: Date, waitsIn?: readonly OrderStatus[]): Promise<CancelOutcome> {
    return this.dataSource.transaction(async (tx): Promise<CancelOutcome> => {
      const order = await this.orders.lockById(tx, orderId);
      if (!order) return { kind: 'not-found', error: new OrderNotFound(orderId) };
      const before = order.status;
      const decision = decideCancel(order, reason, now, waitsIn);
      if (!decision.ok) return { kind: 'not-cancellable', error: new OrderNotCancellable(decision.reason) };
      const [cancelled] = await this.outbox.enqueue(tx, [{ data: decision.event, orderId, correlationId: order.correlationId, occurredAt: now }]);
      this.changes?.moved(tx, before, decision.order);
      await this.orders.save(tx, decision.order, { ...decision.timeline, eventId: cancelled.id });
      return { kind: 'cancelled', order: toOrderView(decision.order) };
    });
  }
}
