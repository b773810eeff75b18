import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Outbox } from '@app/messaging';
import { DomainError } from '@app/platform';
import { Order } from '../domain/order';
import { decideCancel } from '../domain/order.decide';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderView, toOrderView } from './order.view';

/** Cancels a PENDING or RESERVED order and tells inventory and shipping (OrderCancelled). */
@Injectable()
export class CancelOrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly outbox: Outbox,
  ) {}

  /**
   * `stillWanted`, checked on the locked order, may refuse the cancel (ORDER_MOVED_ON) with why: for the system's
   * cancels, which were decided on what the order looked like before it was locked.
   */
  cancel(orderId: string, reason: string | undefined, now = new Date(), stillWanted?: (order: Order) => string | null): Promise<OrderView> {
    return this.dataSource.transaction(async (tx) => {
      const order = await this.orders.lockById(tx, orderId);
      if (!order) throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`, 404);
      const refused = stillWanted?.(order);
      if (refused) throw new DomainError('ORDER_MOVED_ON', refused, 409);
      const decision = decideCancel(order, reason, now);
      if (!decision.ok) throw new DomainError('ORDER_NOT_CANCELLABLE', decision.reason, 409);
      const [cancelled] = await this.outbox.enqueue(tx, [{ data: decision.event, orderId, correlationId: order.correlationId, occurredAt: now }]);
      await this.orders.save(tx, decision.order, {
        eventId: cancelled.id,
        type: cancelled.type,
        status: 'CANCELLED',
        occurredAt: now,
        detail: reason ? { reason } : undefined,
      });
      return toOrderView(decision.order);
    });
  }
}
