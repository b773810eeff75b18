import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProductNotFound, ReceiveStockRequest, ReservationNotFound, StockLimitExceeded, UpsertProductRequest } from '@app/contracts';
import { ProductEntity } from '../persistence/entities';
import { StockRepository } from '../persistence/stock.repository';

export function toProductView(p: ProductEntity) {
  return {
    sku: p.sku,
    name: p.name,
    priceCents: p.priceCents,
    currency: p.currency,
    available: p.available,
    reserved: p.reserved,
    shipped: p.shipped,
    received: p.received,
  };
}

/** The most units one product can have received (its stock columns are int4). */
export const MAX_STOCK_UNITS = 2_147_483_647;

/** Products and their stock: open reads, admin writes. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stock: StockRepository,
  ) {}

  async list() {
    return (await this.stock.listProducts()).map(toProductView);
  }

  async get(sku: string) {
    const product = await this.stock.findProduct(sku);
    if (!product) throw new ProductNotFound(sku);
    return toProductView(product);
  }

  /** An order's reservation: what it holds and where its units stand. */
  async reservation(orderId: string) {
    const r = await this.stock.findReservation(orderId);
    if (!r) throw new ReservationNotFound(orderId);
    return { orderId: r.orderId, status: r.status, lines: r.lines, totalCents: r.totalCents };
  }

  /** Creates the product (with no stock) or updates its name and price. */
  async upsert(sku: string, body: UpsertProductRequest) {
    await this.dataSource.query(
      `INSERT INTO products (sku, name, price_cents, currency, available, reserved, shipped, received, updated_at)
       VALUES ($1, $2, $3, $4, 0, 0, 0, 0, now())
       ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price_cents = excluded.price_cents, currency = excluded.currency, updated_at = now()`,
      [sku, body.name, body.priceCents, body.currency ?? 'EUR'],
    );
    return this.get(sku);
  }

  /**
   * Adds received units to available stock. The stock columns are int4 and available, reserved and
   * shipped add up to received, so received is the one to keep within MAX_STOCK_UNITS: past it the
   * receipt is refused (StockLimitExceeded, naming the limit), not failed by PostgreSQL's overflow check.
   */
  async receive(sku: string, body: ReceiveStockRequest) {
    const add = () =>
      this.dataSource.query(
        `UPDATE products SET available = available + $2, received = received + $2, updated_at = now() WHERE sku = $1 AND received <= $3::int - $2::int`,
        [sku, body.quantity, MAX_STOCK_UNITS],
      ) as Promise<[unknown, number]>;
    for (let attempt = 1; ; attempt++) {
      const [, affected] = await add();
      if (affected) break;
      const product = await this.get(sku); // ProductNotFound when there is no such product
      if (product.received > MAX_STOCK_UNITS - body.quantity) {
        throw new StockLimitExceeded(sku, product.received, body.quantity, MAX_STOCK_UNITS);
      }
      // it has room: it was created (PUT) after the update looked for it, or a receipt took the room meanwhile
      if (attempt === 3) throw new Error(`stock receipt for ${sku} found no row to update three times`);
    }
    return this.get(sku);
  }
}
