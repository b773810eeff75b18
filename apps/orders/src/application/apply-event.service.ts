import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { evolve, InboundEvent } from '../domain/order.decide';
import { OrdersRepository } from '../persistence/orders.repository';

/** Moves an order on an event from inventory or shipping, inside the consumer's transaction. */
@Injectable()
export class ApplyOrderEvent {
  private readonly logger = new Logger(ApplyOrderEvent.name);

  constructor(private readonly orders: OrdersRepository) {}

  async apply(tx: EntityManager, event: InboundEvent, now = new Date()): Promise<void> {
    const order = await this.orders.lockById(tx, event.envelope.orderId);
    if (!order) {
      // Not ours (another deployment sharing the topic) or never committed: nothing to move.
      this.logger.warn(`${event.kind} for unknown order ${event.envelope.orderId}; ignored`);
      return;
    }
    const { order: next, timeline } = evolve(order, event, now);
    await this.orders.save(tx, next, timeline);
  }
}
