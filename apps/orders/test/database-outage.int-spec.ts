import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { infra, PostgresHandle, query, RunningApp, sharedInfra, startInProcess, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { ordersService } from '../src/orders.definition';

const BODY = JSON.stringify({
  customerId: 'outage',
  lines: [{ sku: 'SKU-1', quantity: 1 }],
  shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
});

/** The orders service on a PostgreSQL server of its own, which this file stops and starts again. */
describe('orders over HTTP while its database is down (real PostgreSQL, stopped and restarted)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-db-outage-'));
  let postgres: PostgresHandle;
  let url: string;
  let orders: RunningApp;

  const place = (headers: Record<string, string> = {}) =>
    fetch(`${orders.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });

  beforeAll(async () => {
    postgres = await infra.startPostgres({ dir, durable: false, quiet: true });
    await infra.ensureDatabases(postgres.url, ['orders']);
    url = infra.databaseUrl(postgres.url, 'orders');
    orders = await startInProcess(ordersService as never, { DATABASE_URL: url, KAFKA_BROKERS: sharedInfra().brokers, KAFKA_TOPIC_PREFIX: uniqueTopicPrefix() });
  });

  afterAll(async () => {
    await orders?.close().catch(() => {});
    await infra.stopPostgres(postgres);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After (not 500) while the database is down, and takes the same request once it is back', async () => {
    const before = await place();
    expect(before.status).toBe(202);
    const first = (await before.json()).id;

    await infra.stopPostgres(postgres);
    for (const headers of [{}, { 'idempotency-key': 'outage-1' }] as Record<string, string>[]) {
      const res = await place(headers);
      expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
      expect(await res.json()).toEqual({
        statusCode: 503,
        error: 'SERVICE_UNAVAILABLE',
        code: 'UNAVAILABLE',
        message: 'the database or the broker is unavailable or busy; try again in a moment',
      });
    }
    const read = await fetch(`${orders.url}/orders/${first}`);
    expect([read.status, read.headers.get('retry-after')]).toEqual([503, '1']);

    // the same server back on the same port: the client's retry with its key goes through, once (the start is
    // tried again: while it was down, one of the app's reconnects may briefly hold that port as its own)
    const port = postgres.port;
    for (let attempt = 1; ; attempt++) {
      try {
        postgres = await infra.startPostgres({ dir, port, durable: false, quiet: true });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    let retried: Response | undefined;
    await waitUntil(
      'POST /orders to be accepted again',
      async () => {
        retried = await place({ 'idempotency-key': 'outage-1' });
        return retried.status === 202;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const second = (await retried!.json()).id;
    const again = await place({ 'idempotency-key': 'outage-1' });
    expect([again.status, (await again.json()).id]).toEqual([202, second]);
    expect((await fetch(`${orders.url}/orders/${first}`)).status).toBe(200);
    // the requests answered 503 wrote nothing: the order from before the outage and the retried one
    expect(await query(url, `SELECT count(*)::int AS n FROM orders`)).toEqual([{ n: 2 }]);
  });
});
