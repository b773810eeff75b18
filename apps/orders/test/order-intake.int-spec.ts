import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OrderPlacedV1 } from '@app/contracts';
import { MessagingOptions, Outbox } from '@app/messaging';
import { dropDatabase, query } from '@app/testing';
import { OrderIntake, Placement } from '../src/application/order-intake';
import { Order } from '../src/domain/order';
import { OrdersRepository } from '../src/persistence/orders.repository';
import { openOrdersDatabase } from './orders-database';

function placement(customerId: string): Placement {
  const now = new Date();
  const shippingAddress = { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  const lines = [{ sku: 'SKU-1', quantity: 1 }];
  const order: Order = {
    id: randomUUID(),
    customerId,
    status: 'PENDING',
    lines,
    shippingAddress,
    totalCents: null,
    currency: null,
    shipment: null,
    statusReason: null,
    correlationId: randomUUID(),
    createdAt: now,
    updatedAt: now,
  };
  return { order, event: Object.assign(new OrderPlacedV1(), { customerId, lines, shippingAddress }) };
}

/** What the database holds for an order: the order row, its timeline entries, its OrderPlaced in the outbox. */
async function stored(url: string, id: string) {
  const [row] = await query(
    url,
    `SELECT (SELECT count(*)::int FROM orders WHERE id = $1) AS orders,
            (SELECT count(*)::int FROM order_timeline WHERE order_id = $1) AS timeline,
            (SELECT count(*)::int FROM outbox WHERE message_key = $1::text) AS events`,
    [id],
  );
  return row;
}

describe('order intake: group commit of new orders (real PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ url, dataSource } = await openOrdersDatabase('intake', 4));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url);
  });

  const intake = (concurrency: number, maxBatch: number) =>
    new OrderIntake(dataSource, new OrdersRepository(dataSource), new Outbox({ outbox: { lanes: 16 } } as MessagingOptions), {
      concurrency,
      maxBatch,
      waitTimeoutMs: 5000,
    });

  it('orders arriving together commit in fewer transactions, each with its timeline entry and its event', async () => {
    const writer = intake(2, 64);
    const placements = Array.from({ length: 60 }, (_, i) => placement(`group-${i}`));
    await Promise.all(placements.map((p) => writer.place(p)));
    expect(writer.stats.orders).toBe(60);
    expect(writer.stats.transactions).toBeGreaterThanOrEqual(2);
    expect(writer.stats.transactions).toBeLessThan(60);
    for (const p of placements) expect(await stored(url, p.order.id)).toEqual({ orders: 1, timeline: 1, events: 1 });
    // the events carry the orders' own data (ids follow commit order, which concurrent transactions do not fix)
    const events = await query(
      url,
      `SELECT payload::jsonb->>'orderId' AS "orderId", payload::jsonb->'data'->>'customerId' AS customer FROM outbox WHERE payload::jsonb->'data'->>'customerId' LIKE 'group-%'`,
    );
    const byId = (a: { orderId: string }, b: { orderId: string }) => a.orderId.localeCompare(b.orderId);
    expect(events.sort(byId)).toEqual(placements.map((p) => ({ orderId: p.order.id, customer: p.order.customerId })).sort(byId));
  });

  it('an order the database refuses fails alone; the others of its batch are committed', async () => {
    const writer = intake(1, 64);
    const first = placement('split-first');
    // the first starts a transaction at once; the next ten wait and go together, the bad one among them
    const firstDone = writer.place(first);
    const rest = Array.from({ length: 10 }, (_, i) => placement(i === 4 ? 'bad\u0000customer' : `split-${i}`));
    const outcomes = await Promise.allSettled(rest.map((p) => writer.place(p)));
    await firstDone;
    expect(writer.stats.batchesSplit).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(rest.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    expect(((outcomes[4] as PromiseRejectedResult).reason as Error).message).toMatch(/0x00|invalid byte sequence|unsupported Unicode/);
    for (const [i, p] of rest.entries())
      expect(await stored(url, p.order.id)).toEqual(i === 4 ? { orders: 0, timeline: 0, events: 0 } : { orders: 1, timeline: 1, events: 1 });
  });

  it('with a batch size of 1, every order has its own transaction', async () => {
    const writer = intake(2, 1);
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.place(placement(`alone-${i}`))));
    expect(writer.stats.transactions).toBe(10);
  });
});
