import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EventEnvelope, OrderPlacedV1, ShipmentCancelledV1 } from '@app/contracts';
import { Outbox } from '@app/messaging';
import { DomainError } from '@app/platform';
import { ShippingConfig } from '../config';
import { decideShipment, ShippingPolicy } from '../domain/shipment';
import { ShipmentEntity, ShipmentRequestEntity } from '../persistence/entities';

type Fact = { country: string } | { reserved: true } | { cancelled: true };

/** Collects what it needs to know about an order, then schedules, fails or cancels its shipment. */
@Injectable()
export class ShipmentsService {
  private readonly policy: ShippingPolicy;

  constructor(
    private readonly dataSource: DataSource,
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
    const shipment = await tx.findOne(ShipmentEntity, { where: { orderId: e.orderId }, lock: { mode: 'pessimistic_write' } });
    if (shipment?.status !== 'SCHEDULED') return;
    await tx.update(ShipmentEntity, { id: shipment.id }, { status: 'CANCELLED', updatedAt: now });
    const data = Object.assign(new ShipmentCancelledV1(), { shipmentId: shipment.id });
    await this.outbox.enqueue(tx, [{ data, orderId: e.orderId, correlationId: e.correlationId, causationId: e.id, occurredAt: now }]);
  }

  /** Upserts one fact about the order (row locked), then decides if everything is known. */
  private async record(tx: EntityManager, cause: EventEnvelope<object>, fact: Fact, now = new Date()): Promise<void> {
    const country = 'country' in fact ? fact.country : null;
    const reserved = 'reserved' in fact;
    const cancelled = 'cancelled' in fact;
    const [row] = await tx.query(
      `INSERT INTO shipment_requests AS r (order_id, country, reserved, cancelled) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET country = coalesce(r.country, excluded.country), reserved = r.reserved OR excluded.reserved, cancelled = r.cancelled OR excluded.cancelled
       RETURNING order_id AS "orderId", country, reserved, cancelled`,
      [cause.orderId, country, reserved, cancelled],
    );
    const request = row as ShipmentRequestEntity;
    const hasShipment = (await tx.count(ShipmentEntity, { where: { orderId: cause.orderId } })) > 0;
    const shipmentId = randomUUID();
    const decision = decideShipment(request, hasShipment, this.policy, shipmentId, now);
    if (decision.kind === 'wait') return;
    await tx.insert(ShipmentEntity, {
      id: shipmentId,
      orderId: cause.orderId,
      status: decision.kind === 'schedule' ? 'SCHEDULED' : 'FAILED',
      carrier: this.policy.carrier,
      country: request.country!,
      estimatedDelivery: decision.kind === 'schedule' ? new Date(decision.event.estimatedDelivery) : null,
      failureReason: decision.kind === 'fail' ? decision.event.detail : null,
      createdAt: now,
      updatedAt: now,
    });
    await this.outbox.enqueue(tx, [{ data: decision.event, orderId: cause.orderId, correlationId: cause.correlationId, causationId: cause.id, occurredAt: now }]);
  }

  async byOrder(orderId: string) {
    const s = await this.dataSource.getRepository(ShipmentEntity).findOneBy({ orderId });
    if (!s) throw new DomainError('SHIPMENT_NOT_FOUND', `no shipment for order ${orderId}`, 404);
    return { id: s.id, orderId: s.orderId, status: s.status, carrier: s.carrier, country: s.country, estimatedDelivery: s.estimatedDelivery?.toISOString(), failureReason: s.failureReason ?? undefined, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
  }
}
