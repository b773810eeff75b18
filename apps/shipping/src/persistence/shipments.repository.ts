import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ShipmentRequest, ShipmentStatus } from '../domain/shipment';
import { ShipmentEntity } from './entities';

/** One fact about an order that shipping learns from an event: its destination, its stock reserved, or its cancellation. */
export type ShipmentFact = { country: string } | { reserved: true } | { cancelled: true };

/** A shipment as decided: scheduled with its estimated delivery, or failed with why. */
export interface NewShipment {
  id: string;
  orderId: string;
  status: Extract<ShipmentStatus, 'SCHEDULED' | 'FAILED'>;
  carrier: string;
  country: string;
  estimatedDelivery: Date | null;
  failureReason: string | null;
}

/** Reads and writes shipment requests and shipments; `tx` variants run inside the caller's transaction. */
@Injectable()
export class ShipmentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Adds one fact to what is known of the order (a fact once known stays known), and returns all of it, with
   * the order's request row locked until the transaction ends, and whether it has a shipment (in the upsert's
   * snapshot: one committed while the upsert waited for the lock is caught by insert()).
   */
  async recordFact(tx: EntityManager, orderId: string, fact: ShipmentFact): Promise<{ request: ShipmentRequest; hasShipment: boolean }> {
    const [row] = await tx.query(
      `INSERT INTO shipment_requests AS r (order_id, country, reserved, cancelled) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET country = coalesce(r.country, excluded.country), reserved = r.reserved OR excluded.reserved, cancelled = r.cancelled OR excluded.cancelled
       RETURNING order_id AS "orderId", country, reserved, cancelled, EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = r.order_id) AS "hasShipment"`,
      [orderId, 'country' in fact ? fact.country : null, 'reserved' in fact, 'cancelled' in fact],
    );
    const { hasShipment, ...request } = row as ShipmentRequest & { hasShipment: boolean };
    return { request, hasShipment };
  }

  /** Records the order's shipment; false (and nothing written) when the order already has one. */
  async insert(tx: EntityManager, shipment: NewShipment, now: Date): Promise<boolean> {
    const inserted = await tx.query(
      `INSERT INTO shipments (id, order_id, status, carrier, country, estimated_delivery, failure_reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (order_id) DO NOTHING RETURNING id`,
      [shipment.id, shipment.orderId, shipment.status, shipment.carrier, shipment.country, shipment.estimatedDelivery, shipment.failureReason, now],
    );
    return inserted.length > 0;
  }

  /** The order's shipment, locked until the transaction ends. */
  lockByOrder(tx: EntityManager, orderId: string): Promise<ShipmentEntity | null> {
    return tx.findOne(ShipmentEntity, { where: { orderId }, lock: { mode: 'pessimistic_write' } });
  }

  async setStatus(tx: EntityManager, shipmentId: string, status: ShipmentStatus, now: Date): Promise<void> {
    await tx.update(ShipmentEntity, { id: shipmentId }, { status, updatedAt: now });
  }

  findByOrder(orderId: string): Promise<ShipmentEntity | null> {
    return this.dataSource.getRepository(ShipmentEntity).findOneBy({ orderId });
  }
}
