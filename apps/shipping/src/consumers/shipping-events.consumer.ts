import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, OrderCancelledV1, OrderPlacedV1, StockReservedV1 } from '@app/contracts';
import { OnEvent } from '@app/messaging';
import { ShipmentsService } from '../application/shipments.service';

/** shipping learns an order's destination and its reservation, then ships; a cancellation cancels the shipment. */
@Injectable()
export class ShippingEventsConsumer {
  constructor(private readonly shipments: ShipmentsService) {}

  @OnEvent(OrderPlacedV1)
  placed(e: EventEnvelope<OrderPlacedV1>, tx: EntityManager) {
    return this.shipments.onOrderPlaced(tx, e);
  }

  @OnEvent(StockReservedV1)
  reserved(e: EventEnvelope<StockReservedV1>, tx: EntityManager) {
    return this.shipments.onStockReserved(tx, e);
  }

  @OnEvent(OrderCancelledV1)
  cancelled(e: EventEnvelope<OrderCancelledV1>, tx: EntityManager) {
    return this.shipments.onOrderCancelled(tx, e);
  }
}
