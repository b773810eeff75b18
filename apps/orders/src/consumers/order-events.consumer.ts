import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1, StockRejectedV1, StockReservedV1 } from '@app/contracts';
import { OnEvent } from '@app/messaging';
import { ApplyOrderEvent } from '../application/apply-event.service';

/** orders listens to inventory and shipping and moves its orders along the saga. */
@Injectable()
export class OrderEventsConsumer {
  constructor(private readonly apply: ApplyOrderEvent) {}

  @OnEvent(StockReservedV1)
  reserved(envelope: EventEnvelope<StockReservedV1>, tx: EntityManager) {
    return this.apply.apply(tx, { kind: 'StockReserved', envelope });
  }

  @OnEvent(StockRejectedV1)
  rejected(envelope: EventEnvelope<StockRejectedV1>, tx: EntityManager) {
    return this.apply.apply(tx, { kind: 'StockRejected', envelope });
  }

  @OnEvent(ShipmentScheduledV1)
  scheduled(envelope: EventEnvelope<ShipmentScheduledV1>, tx: EntityManager) {
    return this.apply.apply(tx, { kind: 'ShipmentScheduled', envelope });
  }

  @OnEvent(ShipmentFailedV1)
  failed(envelope: EventEnvelope<ShipmentFailedV1>, tx: EntityManager) {
    return this.apply.apply(tx, { kind: 'ShipmentFailed', envelope });
  }

  @OnEvent(ShipmentCancelledV1)
  cancelled(envelope: EventEnvelope<ShipmentCancelledV1>, tx: EntityManager) {
    return this.apply.apply(tx, { kind: 'ShipmentCancelled', envelope });
  }
}
