import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDatabase, dropDatabase, infra, KafkaHandle, RunningApp, startInProcess, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { ordersService } from '../src/orders.service';
import { inventoryService } from '../../inventory/src/inventory.service';
import { shippingService } from '../../shipping/src/shipping.service';

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
      apps[def.service] = await startInProcess(def as never, { DATABASE_URL: url, KAFKA_BROKERS: kafka.brokers, KAFKA_TOPIC_PREFIX: prefix, ADMIN_TOKEN: 'test-admin-token-0123456789' });
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
