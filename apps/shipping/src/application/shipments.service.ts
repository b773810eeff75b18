import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EventEnvelope, OrderPlacedV1, ShipmentCancelledV1, ShipmentNotFound } from '@app/contracts';
import { Outbox } from '@app/messaging';
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
       RETURNING order_id AS "orderId", country, reserved, cancelled, EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = r.order_id) AS "hasShipment"`,
      [cause.orderId, country, reserved, cancelled],
    );
    const { hasShipment, ...request } = row as ShipmentRequestEntity & { hasShipment: boolean };
    const shipmentId = randomUUID();
    const decision = decideShipment(request, hasShipment, this.policy, shipmentId, now);
    if (decision.kind === 'wait') return;
    // hasShipment was read in the upsert's snapshot; a shipment committed while it waited for the
    // request row's lock is caught here by the unique order_id, and then nothing is sent twice
    const inserted = await tx.query(
      `INSERT INTO shipments (id, order_id, status, carrier, country, estimated_delivery, failure_reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (order_id) DO NOTHING RETURNING id`,
      [
        shipmentId,
        cause.orderId,
        decision.kind === 'schedule' ? 'SCHEDULED' : 'FAILED',
        this.policy.carrier,
        request.country!,
        decision.kind === 'schedule' ? new Date(decision.event.estimatedDelivery) : null,
        decision.kind === 'fail' ? decision.event.detail : null,
        now,
      ],
    );
    if (inserted.length === 0) return;
    await this.outbox.enqueue(tx, [{ data: decision.event, orderId: cause.orderId, correlationId: cause.correlationId, causationId: cause.id, occurredAt: now }]);
  }

  async byOrder(orderId: string) {
    const s = await this.dataSource.getRepository(ShipmentEntity).findOneBy({ orderId });
    if (!s) throw new ShipmentNotFound(orderId);
    return { id: s.id, orderId: s.orderId, status: s.status, carrier: s.carrier, country: s.country, estimatedDelivery: s.estimatedDelivery?.toISOString(), failureReason: s.failureReason ?? undefined, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
  }
}
