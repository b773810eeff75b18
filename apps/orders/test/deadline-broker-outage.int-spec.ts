import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDatabase, dropDatabase, infra, KafkaHandle, query, RunningApp, startInProcess, waitUntil } from '@app/testing';
import { ordersService } from '../src/orders.definition';

const DEADLINE_SECONDS = 4;
const BODY = JSON.stringify({
  customerId: 'broker-outage',
  lines: [{ sku: 'SKU-1', quantity: 1 }],
  shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
});

/**
 * The orders service on a Kafka broker of its own, which this file stops and starts again; no inventory or
 * shipping runs, so an order stays PENDING until its deadline cancels it.
 */
describe('the order deadline while the Kafka broker is down (real Kafka, stopped and restarted)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-broker-outage-'));
  let kafka: KafkaHandle;
  let url: string;
  let orders: RunningApp;

  const status = async (id: string) => (await query(url, 'SELECT status FROM orders WHERE id = $1', [id]))[0]?.status as string;

  beforeAll(async () => {
    kafka = await infra.startKafka({ dir, quiet: true });
    url = await createDatabase('deadline_outage');
    orders = await startInProcess(ordersService as never, {
      DATABASE_URL: url,
      KAFKA_BROKERS: kafka.brokers,
      ORDER_DEADLINE_SECONDS: String(DEADLINE_SECONDS),
    });
  });

  afterAll(async () => {
    await orders?.close().catch(() => {});
    await infra.stopKafka(kafka).catch(() => {});
    await dropDatabase(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is paused while the broker is unreachable: the order is not cancelled then, and is once the saga has had its time', async () => {
    // the broker goes down first, and the order is placed once orders has seen it (placing needs only the
    // database): the order's whole life up to the restart falls in the outage, whatever the machine's speed
    await infra.stopKafka(kafka);
    await waitUntil('readiness to report Kafka unreachable', async () => {
      const ready = await fetch(`${orders.url}/health/ready`);
      return ready.status === 503 && (await ready.json()).details?.kafka?.status === 'down';
    });
    const placed = await fetch(`${orders.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    expect(placed.status).toBe(202);
    const id = (await placed.json()).id as string;

    // more than twice the deadline, scanned every second: without the pause, the order would be cancelled now
    await new Promise((r) => setTimeout(r, 2 * DEADLINE_SECONDS * 1000 + 2000));
    expect(await status(id)).toBe('PENDING');

    // the same broker back on the same port (tried again: while it was down, a client's reconnect may briefly
    // hold that port as its own, and the broker then exits at once)
    for (let attempt = 1; ; attempt++) {
      try {
        kafka = await infra.startKafka({ dir, port: kafka.port, controllerPort: kafka.controllerPort, quiet: true });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const backAt = Date.now();
    // nothing answers for the order (no inventory runs): its deadline, counted from the broker's return, cancels it
    await waitUntil('the order to be cancelled by its deadline', async () => (await status(id)) === 'CANCELLED', { timeoutMs: 60_000, intervalMs: 250 });
    const [order] = await query(url, 'SELECT status_reason, updated_at FROM orders WHERE id = $1', [id]);
    expect(order.status_reason).toMatch(/not final 4 s after it was placed: cancelled by the system/);
    expect(new Date(order.updated_at).getTime()).toBeGreaterThan(backAt);
  });
});
