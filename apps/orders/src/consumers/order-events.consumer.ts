import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1, StockRejectedV1, StockReservedV1, Topics } from '@app/contracts';
import { EventHandlers, InboxConsumer } from '@app/messaging';
import { ApplyOrderEvent } from '../application/apply-event.service';

/** orders listens to inventory and shipping and moves its orders along the saga. */
@Controller()
export class OrderEventsConsumer {
  private readonly handlers: EventHandlers;

  constructor(
    private readonly inbox: InboxConsumer,
    apply: ApplyOrderEvent,
  ) {
    this.handlers = new EventHandlers()
      .on(StockReservedV1, (envelope, tx) => apply.apply(tx, { kind: 'StockReserved', envelope }))
      .on(StockRejectedV1, (envelope, tx) => apply.apply(tx, { kind: 'StockRejected', envelope }))
      .on(ShipmentScheduledV1, (envelope, tx) => apply.apply(tx, { kind: 'ShipmentScheduled', envelope }))
      .on(ShipmentFailedV1, (envelope, tx) => apply.apply(tx, { kind: 'ShipmentFailed', envelope }))
      .on(ShipmentCancelledV1, (envelope, tx) => apply.apply(tx, { kind: 'ShipmentCancelled', envelope }));
  }

  @EventPattern(Topics.InventoryEvents)
  async onInventoryEvent(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    await this.inbox.consume(ctx, this.handlers);
  }

  @EventPattern(Topics.ShippingEvents)
  async onShippingEvent(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    await this.inbox.consume(ctx, this.handlers);
  }
}
