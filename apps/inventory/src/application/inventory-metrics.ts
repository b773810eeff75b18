import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { ServiceMetrics } from '@app/platform';

/** At most this many SKUs are reported (the first by SKU): a label per SKU must stay a small set. */
export const MAX_SKUS_IN_METRICS = 500;

/** inventory_available_units (sku), read from the products table at scrape time. */
@Injectable()
export class InventoryMetrics {
  constructor(metrics: ServiceMetrics, dataSource: DataSource) {
    new Gauge({
      name: 'inventory_available_units',
      help: `Units available to reserve, by SKU (the first ${MAX_SKUS_IN_METRICS} SKUs)`,
      labelNames: ['sku'],
      registers: [metrics.registry],
      async collect() {
        const rows: { sku: string; available: number }[] = await dataSource.query('SELECT sku, available FROM products ORDER BY sku LIMIT $1', [MAX_SKUS_IN_METRICS]).catch(() => null);
        if (!rows) return;
        this.reset();
        for (const r of rows) this.set({ sku: r.sku }, r.available);
      },
    });
  }
}
