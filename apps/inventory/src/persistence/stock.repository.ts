import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { deferred } from '@app/database';
import { ProductStock, Reservation, ReservationStatus, ReservedLine, StockDelta } from '../domain/stock';
import { ProductEntity, ReservationEntity } from './entities';

@Injectable()
export class StockRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Locks the products in SKU order (so concurrent reservations cannot deadlock) and returns them. */
  async lockProducts(tx: EntityManager, skus: string[]): Promise<Map<string, ProductStock>> {
    const rows: any[] = await tx.query(
      `SELECT sku, price_cents, currency, available, reserved, shipped FROM products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [[...new Set(skus)]],
    );
    return new Map(
      rows.map((r) => [
        r.sku,
        { sku: r.sku, priceCents: r.price_cents, currency: r.currency, available: r.available, reserved: r.reserved, shipped: r.shipped },
      ]),
    );
  }

  /** Locks the products of the order's reservation in SKU order (none if it has no reservation). */
  async lockProductsOfReservation(tx: EntityManager, orderId: string): Promise<void> {
    await tx.query(
      `SELECT sku FROM products WHERE sku IN (SELECT l->>'sku' FROM reservations r, jsonb_array_elements(r.lines) l WHERE r.order_id = $1) ORDER BY sku FOR UPDATE`,
      [orderId],
    );
  }

  /** The order's reservation, locked until the transaction ends. */
  async lockReservation(tx: EntityManager, orderId: string): Promise<Reservation | null> {
    const rows: any[] = await tx.query(`SELECT order_id, status, lines, total_cents, shipment_id FROM reservations WHERE order_id = $1 FOR UPDATE`, [orderId]);
    if (rows.length === 0) return null;
    const r = rows[0];
    return { orderId: r.order_id, status: r.status, lines: r.lines, totalCents: Number(r.total_cents), shipmentId: r.shipment_id };
  }

  /** Moves the stock and records the reservation, in one statement (deferred: the products are locked). */
  async reserve(tx: EntityManager, orderId: string, reserved: { lines: ReservedLine[]; totalCents: number; deltas: StockDelta[] }, now: Date): Promise<void> {
    await tx.query(
      deferred(`WITH moved AS (${APPLY_DELTAS})
       INSERT INTO reservations (order_id, status, lines, total_cents, created_at, updated_at) VALUES ($5, 'RESERVED', $6, $7, $8, $8)`),
      [...deltaColumns(reserved.deltas), orderId, JSON.stringify(reserved.lines), reserved.totalCents, now],
    );
  }

  /**
   * A reservation of nothing (deferred): RELEASED for an order cancelled before any stock was reserved,
   * REJECTED for an order whose stock was refused. Either way the order is decided, and a later OrderPlaced
   * of it (late, replayed or re-sent) reserves nothing.
   */
  async recordEmpty(tx: EntityManager, orderId: string, status: 'RELEASED' | 'REJECTED', now: Date): Promise<void> {
    await tx.query(
      deferred(
        `INSERT INTO reservations (order_id, status, lines, total_cents, created_at, updated_at) VALUES ($1, $2, '[]', 0, $3, $3) ON CONFLICT (order_id) DO NOTHING`,
      ),
      [orderId, status, now],
    );
  }

  /** Moves the stock and sets the reservation's new status, in one statement (deferred: both rows are locked). */
  async move(tx: EntityManager, orderId: string, deltas: StockDelta[], status: ReservationStatus, now: Date, shipmentId: string | null = null): Promise<void> {
    await tx.query(
      deferred(`WITH moved AS (${APPLY_DELTAS}) UPDATE reservations SET status = $6, updated_at = $7, shipment_id = coalesce($8, shipment_id) WHERE order_id = $5`),
      [...deltaColumns(deltas), orderId, status, now, shipmentId],
    );
  }

  listProducts(): Promise<ProductEntity[]> {
    return this.dataSource.getRepository(ProductEntity).find({ order: { sku: 'ASC' } });
  }

  findProduct(sku: string): Promise<ProductEntity | null> {
    return this.dataSource.getRepository(ProductEntity).findOneBy({ sku });
  }

  findReservation(orderId: string): Promise<ReservationEntity | null> {
    return this.dataSource.getRepository(ReservationEntity).findOneBy({ orderId });
  }
}

/** Adds per-SKU deltas ($1-$4: skus, available, reserved, shipped) to the products' counters. */
const APPLY_DELTAS = `UPDATE products p
    SET available = p.available + d.da, reserved = p.reserved + d.dr, shipped = p.shipped + d.ds, updated_at = now()
   FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS d(sku, da, dr, ds)
  WHERE p.sku = d.sku`;

function deltaColumns(deltas: StockDelta[]): unknown[] {
  return [deltas.map((d) => d.sku), deltas.map((d) => d.available), deltas.map((d) => d.reserved), deltas.map((d) => d.shipped)];
}
