import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReceiveStockRequest, UpsertProductRequest } from '@app/contracts';
import { DomainError } from '@app/platform';
import { ProductEntity } from '../persistence/entities';
import { StockRepository } from '../persistence/stock.repository';

export function toProductView(p: ProductEntity) {
  return { sku: p.sku, name: p.name, priceCents: p.priceCents, currency: p.currency, available: p.available, reserved: p.reserved, shipped: p.shipped, received: p.received };
}

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
    if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `product ${sku} does not exist`, 404);
    return toProductView(product);
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

  /** Adds received units to available stock. */
  async receive(sku: string, body: ReceiveStockRequest) {
    const [, affected] = await this.dataSource.query(
      `UPDATE products SET available = available + $2, received = received + $2, updated_at = now() WHERE sku = $1`,
      [sku, body.quantity],
    );
    if (!affected) throw new DomainError('PRODUCT_NOT_FOUND', `product ${sku} does not exist`, 404);
    return this.get(sku);
  }
}
