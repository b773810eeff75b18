import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createDatabase,
  dropDatabase,
  infra,
  KafkaHandle,
  RunningApp,
  setDatabaseReadOnly,
  sharedInfra,
  startInProcess,
  uniqueTopicPrefix,
  waitUntil,
} from '@app/testing';
import { ordersService } from '../src/orders.definition';
import { inventoryService } from '../../inventory/src/inventory.definition';
import { shippingService } from '../../shipping/src/shipping.definition';

/** Readiness follows the broker for real: this file runs its own broker so it can stop it. */
describe('/health of every app while the Kafka broker stops and comes back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-health-kafka-'));
  let kafka: KafkaHandle;
  const apps: Record<string, RunningApp> = {};
  const databases: string[] = [];

  const status = async (app: RunningApp, probe: 'live' | 'ready') => (await fetch(`${app.url}/health/${probe}`)).status;

  beforeAll(async () => {
    kafka = await infra.startKafka({ dir, quiet: true });
    const prefix = uniqueTopicPrefix();
    const definitions = [ordersService, inventoryService, shippingService] as const;
    for (const def of definitions) {
      const url = await createDatabase(def.service);
      databases.push(url);
      apps[def.service] = await startInProcess(def as never, {
        DATABASE_URL: url,
        KAFKA_BROKERS: kafka.brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        ADMIN_TOKEN: 'test-admin-token-0123456789',
      });
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(apps).map((a) => a.close().catch(() => {})));
    await infra.stopKafka(kafka);
    await Promise.all(databases.map(dropDatabase));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says up, then down while the broker is stopped (live stays up), then up again after it restarts', async () => {
    for (const [name, app] of Object.entries(apps)) {
      expect([name, await status(app, 'ready')]).toEqual([name, 200]);
      const body = await (await fetch(`${app.url}/health/ready`)).json();
      expect(body.details).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' }, outbox: { status: 'up' } });
    }

    await infra.stopKafka(kafka);
    for (const [name, app] of Object.entries(apps)) {
      await waitUntil(`${name} /health/ready to say down`, async () => (await status(app, 'ready')) === 503, { timeoutMs: 30_000, intervalMs: 500 });
      const body = await (await fetch(`${app.url}/health/ready`)).json();
      expect(body.details.kafka.status).toBe('down');
      expect(body.details.database.status).toBe('up');
      expect(await status(app, 'live')).toBe(200);
    }

    kafka = await infra.startKafka({ dir, port: kafka.port, controllerPort: kafka.controllerPort, quiet: true });
    for (const [name, app] of Object.entries(apps)) {
      await waitUntil(`${name} /health/ready to say up again`, async () => (await status(app, 'ready')) === 200, { timeoutMs: 90_000, intervalMs: 500 });
      expect(await status(app, 'live')).toBe(200);
    }
  });
});

describe('/health/ready while the database takes no writes (a failover under way)', () => {
  let url: string;
  let orders: RunningApp;

  beforeAll(async () => {
    url = await createDatabase('orders_ready_ro');
    orders = await startInProcess(ordersService as never, { DATABASE_URL: url, KAFKA_BROKERS: sharedInfra().brokers, KAFKA_TOPIC_PREFIX: uniqueTopicPrefix() });
  });

  afterAll(async () => {
    await orders?.close().catch(() => {});
    await dropDatabase(url);
  });

  it('says the database is down, with why, although it answers; up again once it takes writes', async () => {
    const ready = async () => {
      const res = await fetch(`${orders.url}/health/ready`);
      return { status: res.status, database: (await res.json()).details?.database };
    };
    expect(await ready()).toEqual({ status: 200, database: { status: 'up' } });

    await setDatabaseReadOnly(url, true);
    await waitUntil('readiness to say the database is down', async () => (await ready()).status === 503, { timeoutMs: 30_000, intervalMs: 250 });
    expect(await ready()).toEqual({
      status: 503,
      database: { status: 'down', error: 'the database takes no writes (read-only: a standby, or a failover under way)' },
    });
    expect((await fetch(`${orders.url}/health/live`)).status).toBe(200);

    await setDatabaseReadOnly(url, false);
    await waitUntil('readiness to say up again', async () => (await ready()).status === 200, { timeoutMs: 30_000, intervalMs: 250 });
    expect((await ready()).database).toEqual({ status: 'up' });
  });
});
