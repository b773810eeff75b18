import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, OrderCancelledV1, OrderPlacedV1, ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1 } from '@app/contracts';
import { OnEvent } from '@app/messaging';
import { ReservationsService } from '../application/reservations.service';

/** inventory reserves on OrderPlaced and moves reservations on cancellations and shipping outcomes. */
@Injectable()
export class InventoryEventsConsumer {
  constructor(private readonly reservations: ReservationsService) {}

  @OnEvent(OrderPlacedV1)
  placed(e: EventEnvelope<OrderPlacedV1>, tx: EntityManager) {
    return this.reservations.reserve(tx, e);
  }

  @OnEvent(OrderCancelledV1)
  cancelled(e: EventEnvelope<OrderCancelledV1>, tx: EntityManager) {
    return this.reservations.move(tx, e, 'release');
  }

  @OnEvent(ShipmentScheduledV1)
  shipmentScheduled(e: EventEnvelope<ShipmentScheduledV1>, tx: EntityManager) {
    return this.reservations.move(tx, e, 'ship', e.data.shipmentId);
  }

  @OnEvent(ShipmentFailedV1)
  shipmentFailed(e: EventEnvelope<ShipmentFailedV1>, tx: EntityManager) {
    return this.reservations.move(tx, e, 'release');
  }

  @OnEvent(ShipmentCancelledV1)
  shipmentCancelled(e: EventEnvelope<ShipmentCancelledV1>, tx: EntityManager) {
    return this.reservations.move(tx, e, 'return', e.data.shipmentId);
  }
}
