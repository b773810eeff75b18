import { Injectable, Logger, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CONFLICTING_FACT } from '@app/contracts';
import { PermanentEventError } from '@app/messaging';
import { evolve, InboundEvent } from '../domain/order.decide';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderChanges } from './order-changes';

/** Moves an order on an event from inventory or shipping, inside the consumer's transaction. */
@Injectable()
export class ApplyOrderEvent {
  private readonly logger = new Logger(ApplyOrderEvent.name);

  constructor(
    private readonly orders: OrdersRepository,
    @Optional() private readonly changes?: OrderChanges,
  ) {}

  async apply(tx: EntityManager, event: InboundEvent, now = new Date()): Promise<void> {
    const order = await this.orders.lockById(tx, event.envelope.orderId);
    if (!order) {
      // Not ours (another deployment sharing the topic) or never committed: nothing to move.
      this.logger.warn({
        msg: `${event.kind} for unknown order ${event.envelope.orderId}; ignored`,
        orderId: event.envelope.orderId,
        eventId: event.envelope.id,
      });
      return;
    }
    const before = order.status;
    const evolution = evolve(order, event, now);
    switch (evolution.kind) {
      case 'moved':
        this.changes?.moved(tx, before, evolution.order);
        return this.orders.save(tx, evolution.order, evolution.timeline);
      case 'unchanged':
        this.logger.debug({ msg: `${event.kind} ${event.envelope.id} changes nothing: ${evolution.why}`, orderId: order.id, eventId: event.envelope.id });
        return;
      case 'conflict':
        throw new PermanentEventError(CONFLICTING_FACT, `${event.kind} ${event.envelope.id} contradicts the order: ${evolution.why}`);
    }
  }
}
