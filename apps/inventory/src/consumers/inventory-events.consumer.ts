import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { OrderCancelledV1, OrderPlacedV1, ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1, Topics } from '@app/contracts';
import { EventHandlers, InboxConsumer } from '@app/messaging';
import { ReservationsService } from '../application/reservations.service';

/** inventory reserves on OrderPlaced and moves reservations on cancellations and shipping outcomes. */
@Controller()
export class InventoryEventsConsumer {
  private readonly handlers: EventHandlers;

  constructor(
    private readonly inbox: InboxConsumer,
    reservations: ReservationsService,
  ) {
    this.handlers = new EventHandlers()
      .on(OrderPlacedV1, (e, tx) => reservations.reserve(tx, e))
      .on(OrderCancelledV1, (e, tx) => reservations.move(tx, e, 'release'))
      .on(ShipmentScheduledV1, (e, tx) => reservations.move(tx, e, 'ship'))
      .on(ShipmentFailedV1, (e, tx) => reservations.move(tx, e, 'release'))
      .on(ShipmentCancelledV1, (e, tx) => reservations.move(tx, e, 'return'));
  }

  @EventPattern(Topics.OrdersEvents)
  async onOrderEvent(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    await this.inbox.consume(ctx, this.handlers);
  }

  @EventPattern(Topics.ShippingEvents)
  async onShippingEvent(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    await this.inbox.consume(ctx, this.handlers);
  }
}
