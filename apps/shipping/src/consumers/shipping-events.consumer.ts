import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { OrderCancelledV1, OrderPlacedV1, StockReservedV1, Topics } from '@app/contracts';
import { EventHandlers, InboxConsumer } from '@app/messaging';
import { ShipmentsService } from '../application/shipments.service';

@Controller()
export class ShippingEventsConsumer {
  private readonly handlers: EventHandlers;

  constructor(
    private readonly inbox: InboxConsumer,
    shipments: ShipmentsService,
  ) {
    this.handlers = new EventHandlers()
      .on(OrderPlacedV1, (e, tx) => shipments.onOrderPlaced(tx, e))
      .on(StockReservedV1, (e, tx) => shipments.onStockReserved(tx, e))
      .on(OrderCancelledV1, (e, tx) => shipments.onOrderCancelled(tx, e));
  }

  @EventPattern(Topics.OrdersEvents)
  async onOrderEvent(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    await this.inbox.consume(ctx, this.handlers);
  }

  @EventPattern(Topics.InventoryEvents)
  async onInventoryEvent(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    await this.inbox.consume(ctx, this.handlers);
  }
}
