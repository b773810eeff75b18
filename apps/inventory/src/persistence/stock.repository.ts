import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ProductStock, ReservationStatus, ReservedLine } from '../domain/stock';
import { ProductEntity, ReservationEntity } from './entities';

export interface StockDelta {
  sku: string;
  available: number;
  reserved: number;
  shipped: number;
}

@Injectable()
export class StockRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Locks the products in SKU order (so concurrent reservations cannot deadlock) and returns them. */
  async lockProducts(tx: EntityManager, skus: string[]): Promise<Map<string, ProductStock>> {
    const rows: any[] = await tx.query(
      `SELECT sku, price_cents, currency, available, reserved, shipped FROM products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [[...new Set(skus)]],
    );
    return new Map(rows.map((r) => [r.sku, { sku: r.sku, priceCents: r.price_cents, currency: r.currency, available: r.available, reserved: r.reserved, shipped: r.shipped }]));
  }

  async applyDeltas(tx: EntityManager, deltas: StockDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await tx.query(
      `UPDATE products p
          SET available = p.available + d.da, reserved = p.reserved + d.dr, shipped = p.shipped + d.ds, updated_at = now()
         FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS d(sku, da, dr, ds)
        WHERE p.sku = d.sku`,
      [deltas.map((d) => d.sku), deltas.map((d) => d.available), deltas.map((d) => d.reserved), deltas.map((d) => d.shipped)],
    );
  }

  lockReservation(tx: EntityManager, orderId: string): Promise<ReservationEntity | null> {
    return tx.getRepository(ReservationEntity).findOne({ where: { orderId }, lock: { mode: 'pessimistic_write' } });
  }

  async insertReservation(tx: EntityManager, orderId: string, lines: ReservedLine[], totalCents: number, now: Date): Promise<void> {
    await tx.insert(ReservationEntity, { orderId, status: 'RESERVED', lines, totalCents, createdAt: now, updatedAt: now });
  }

  async setReservationStatus(tx: EntityManager, orderId: string, status: ReservationStatus, now: Date): Promise<void> {
    await tx.update(ReservationEntity, { orderId }, { status, updatedAt: now });
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
