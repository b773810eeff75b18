import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InventoryConfig } from '../config';

/** Demo catalogue, loaded on first start when SEED_DEMO_DATA is on and there are no products. */
export const DEMO_PRODUCTS = [
  { sku: 'KB-001', name: 'Mechanical keyboard', priceCents: 8999, stock: 500 },
  { sku: 'MS-001', name: 'Wireless mouse', priceCents: 2999, stock: 500 },
  { sku: 'MON-27', name: '27" monitor', priceCents: 24900, stock: 100 },
  { sku: 'CBL-USB-C', name: 'USB-C cable', priceCents: 999, stock: 2000 },
  { sku: 'LAMP-01', name: 'Desk lamp (sold out)', priceCents: 3999, stock: 0 },
];

@Injectable()
export class DemoSeedService implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: InventoryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SEED_DEMO_DATA) return;
    const inserted = await this.dataSource.query(
      `INSERT INTO products (sku, name, price_cents, currency, available, reserved, shipped, received, updated_at)
       SELECT d.sku, d.name, d.price, 'EUR', d.stock, 0, 0, d.stock, now()
         FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS d(sku, name, price, stock)
        WHERE NOT EXISTS (SELECT 1 FROM products)
       ON CONFLICT DO NOTHING RETURNING sku`,
      [DEMO_PRODUCTS.map((p) => p.sku), DEMO_PRODUCTS.map((p) => p.name), DEMO_PRODUCTS.map((p) => p.priceCents), DEMO_PRODUCTS.map((p) => p.stock)],
    );
    if (inserted.length > 0) new Logger('DemoSeed').log(`seeded ${inserted.length} demo products`);
  }
}
