import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessagingOptions, Outbox } from '@app/messaging';
import { dropDatabase, query } from '@app/testing';
import { CancelOrderService } from '../src/application/cancel-order.service';
import { OrderDeadline } from '../src/application/order-deadline.service';
import { OrdersConfig } from '../src/config';
import { Order } from '../src/domain/order';
import { INSERT_ORDER_SQL, insertOrderParams, OrdersRepository } from '../src/persistence/orders.repository';
import { openOrdersDatabase } from './orders-database';

describe('order deadline: one replica scans at a time (real PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ url, dataSource } = await openOrdersDatabase('deadline', 8));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url);
  });

  async function placePending(count: number, customerId: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const placedAt = new Date(Date.now() - 60_000);
      const order: Order = {
        id: randomUUID(),
        customerId,
        status: 'PENDING',
        lines: [{ sku: 'SKU-1', quantity: 1 }],
        shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
        totalCents: null,
        currency: null,
        shipment: null,
        statusReason: null,
        correlationId: randomUUID(),
        createdAt: placedAt,
        updatedAt: placedAt,
      };
      await dataSource.query(
        INSERT_ORDER_SQL,
        insertOrderParams(order, { eventId: randomUUID(), type: 'OrderPlaced', status: 'PENDING', occurredAt: placedAt }),
      );
      ids.push(order.id);
    }
    return ids;
  }

  /** A replica's deadline service, with the real cancel path; counts its cancels, each a little slow. */
  function replica(pool = dataSource, cancelDelayMs = 20) {
    const orders = new OrdersRepository(pool);
    const real = new CancelOrderService(pool, orders, new Outbox({ outbox: { lanes: 16 } } as MessagingOptions));
    const counted = { calls: 0 };
    const cancels = {
      cancel: async (...args: Parameters<CancelOrderService['cancel']>) => {
        counted.calls++;
        await new Promise((r) => setTimeout(r, cancelDelayMs));
        return real.cancel(...args);
      },
    } as CancelOrderService;
    const deadline = new OrderDeadline({ ORDER_DEADLINE_SECONDS: 1, DATABASE_URL: url } as OrdersConfig, orders, cancels);
    return { deadline, counted };
  }

  it('two replicas scanning at once: one cancels every overdue order, the other skips; the lock is free afterwards', async () => {
    const ids = await placePending(8, `deadline-${randomUUID().slice(0, 8)}`);
    const [a, b] = [replica(), replica()];
    const later = new Date(Date.now() + 3_600_000); // every order is past the deadline then
    const [cancelledA, cancelledB] = await Promise.all([a.deadline.expireOverdue(later), b.deadline.expireOverdue(later)]);

    expect([cancelledA, cancelledB].sort()).toEqual([0, 8]);
    expect(a.deadline.stats.scansSkipped + b.deadline.stats.scansSkipped).toBe(1);
    // side by side, both would have read the 8 orders and tried each: 16 cancels, half of them refused
    expect(a.counted.calls + b.counted.calls).toBe(8);
    const rows = await query(url, `SELECT status, count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) GROUP BY status`, [ids]);
    expect(rows).toEqual([{ status: 'CANCELLED', n: 8 }]);
    const events = await query(
      url,
      `SELECT count(*)::int AS n FROM outbox WHERE message_key = ANY($1::text[]) AND payload::jsonb->>'type' = 'OrderCancelled'`,
      [ids],
    );
    expect(events).toEqual([{ n: 8 }]);

    // the scan gave the lock back: the replica that skipped now scans, and cancels the order placed since
    const skipper = a.deadline.stats.scansSkipped === 1 ? a : b;
    await placePending(1, 'deadline-after');
    expect(await skipper.deadline.expireOverdue(later)).toBe(1);
    expect(skipper.deadline.stats.scansSkipped).toBe(1);
  });

  it('scans with a pool of one connection (the lock is held on a connection of its own)', async () => {
    const [id] = await placePending(1, 'deadline-pool-of-one');
    const single = new DataSource({ type: 'postgres', url, extra: { max: 1, connectionTimeoutMillis: 5000 } });
    await single.initialize();
    try {
      const { deadline } = replica(single);
      expect(await deadline.expireOverdue(new Date(Date.now() + 3_600_000))).toBeGreaterThanOrEqual(1);
      expect(await query(url, 'SELECT status FROM orders WHERE id = $1', [id])).toEqual([{ status: 'CANCELLED' }]);
    } finally {
      await single.destroy();
    }
  });

  it('a scanner that stops touching its lock (frozen, cut off) loses it: another replica scans instead of skipping', async () => {
    await placePending(2, 'deadline-frozen');
    const frozen = replica(dataSource, 3000); // its first cancel hangs for 3 s
    frozen.deadline.lockIdleTimeoutMs = 500;
    const other = replica();
    const later = new Date(Date.now() + 3_600_000);
    const frozenScan = frozen.deadline.expireOverdue(later).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 1500)); // past the lock's idle timeout, while the first cancel still hangs
    expect(await other.deadline.expireOverdue(later)).toBeGreaterThanOrEqual(1);
    expect(other.deadline.stats.scansSkipped).toBe(0);
    // the frozen scan wakes up: its cancel may find the order already cancelled, and its next touch finds the lock gone
    await frozenScan;
  });
});
