import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, OrderPlacedV1, ShipmentCancelledV1, ShipmentNotFound } from '@app/contracts';
import { Outbox } from '@app/messaging';
import { ShippingConfig } from '../config';
import { decideShipment, ShippingPolicy } from '../domain/shipment';
import { ShipmentFact, ShipmentsRepository } from '../persistence/shipments.repository';

/** Collects what it needs to know about an order, then schedules, fails or cancels its shipment. */
@Injectable()
export class ShipmentsService {
  private readonly policy: ShippingPolicy;

  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly outbox: Outbox,
    config: ShippingConfig,
  ) {
    this.policy = { servedCountries: config.SERVED_COUNTRIES, carrier: config.CARRIER, deliveryDays: config.DELIVERY_DAYS };
  }

  onOrderPlaced(tx: EntityManager, e: EventEnvelope<OrderPlacedV1>) {
    return this.record(tx, e, { country: e.data.shippingAddress.country });
  }

  onStockReserved(tx: EntityManager, e: EventEnvelope<object>) {
    return this.record(tx, e, { reserved: true });
  }

  async onOrderCancelled(tx: EntityManager, e: EventEnvelope<object>, now = new Date()) {
    await this.record(tx, e, { cancelled: true });
    const shipment = await this.shipments.lockByOrder(tx, e.orderId);
    if (shipment?.status !== 'SCHEDULED') return;
    await this.shipments.setStatus(tx, shipment.id, 'CANCELLED', now);
    const data = Object.assign(new ShipmentCancelledV1(), { shipmentId: shipment.id });
    await this.outbox.enqueue(tx, [{ data, orderId: e.orderId, correlationId: e.correlationId, causationId: e.id, occurredAt: now }]);
  }

  /** Records one fact about the order (its request row locked), then decides if everything is known. */
  private async record(tx: EntityManager, cause: EventEnvelope<object>, fact: ShipmentFact, now = new Date()): Promise<void> {
    const { request, hasShipment } = await this.shipments.recordFact(tx, cause.orderId, fact);
    const shipmentId = randomUUID();
    const decision = decideShipment(request, hasShipment, this.policy, shipmentId, now);
    if (decision.kind === 'wait') return;
    // hasShipment was read in the upsert's snapshot; a shipment committed while it waited for the
    // request row's lock is caught here by the unique order_id, and then nothing is sent twice
    const inserted = await this.shipments.insert(
      tx,
      {
        id: shipmentId,
        orderId: cause.orderId,
        status: decision.kind === 'schedule' ? 'SCHEDULED' : 'FAILED',
        carrier: this.policy.carrier,
        country: request.country!,
        estimatedDelivery: decision.kind === 'schedule' ? new Date(decision.event.estimatedDelivery) : null,
        failureReason: decision.kind === 'fail' ? decision.event.detail : null,
      },
      now,
    );
    if (!inserted) return;
    await this.outbox.enqueue(tx, [{ data: decision.event, orderId: cause.orderId, correlationId: cause.correlationId, causationId: cause.id, occurredAt: now }]);
  }

  async byOrder(orderId: string) {
    const s = await this.shipments.findByOrder(orderId);
    if (!s) throw new ShipmentNotFound(orderId);
    return {
      id: s.id,
      orderId: s.orderId,
      status: s.status,
      carrier: s.carrier,
      country: s.country,
      estimatedDelivery: s.estimatedDelivery?.toISOString(),
      failureReason: s.failureReason ?? undefined,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}
