import { Admin } from 'kafkajs';
import { consumerGroupOf } from '@app/messaging';
import { createDatabase, dropDatabase, freePort, sharedInfra, spawnService, SpawnedService, testKafka, uniqueTopicPrefix, waitUntil } from '@app/testing';

/** Long enough that a restart which waited for the dead member's session could not be mistaken for one that did not. */
const SESSION_TIMEOUT_MS = 30_000;
const BODY = JSON.stringify({
  customerId: 'restarted',
  lines: [{ sku: 'SKU-1', quantity: 1 }],
  shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
});

interface Ready {
  status: number;
  kafka?: { status: string; consumer?: string; error?: string };
}

/**
 * The orders bundle (dist/apps/orders/main.js, `npm run build`) as a process of its own, killed with SIGKILL and
 * started again: its new consumer cannot join the group before the broker expires the dead member's session
 * (kafkajs 2.2.4 has no static membership), but its HTTP side needs only PostgreSQL and answers meanwhile, while
 * readiness says the consumer is still joining. A graceful stop leaves the group, so the next start waits for nothing.
 */
describe('orders restarted after kill -9: HTTP first, readiness once the consumer has joined', () => {
  const { brokers } = sharedInfra();
  let env: Record<string, string>;
  let orders: SpawnedService | undefined;
  let admin: Admin;

  const ready = async (): Promise<Ready> => {
    const res = await fetch(`${orders!.url}/health/ready`);
    return { status: res.status, kafka: (await res.json()).details?.kafka };
  };
  const place = () => fetch(`${orders!.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
  const members = async () => (await admin.describeGroups([consumerGroupOf('orders', env.KAFKA_TOPIC_PREFIX)])).groups[0].members.map((m) => m.memberId);

  beforeAll(async () => {
    env = {
      DATABASE_URL: await createDatabase('orders_restart'),
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      PORT: String(await freePort()),
      LOG_LEVEL: 'log',
    };
    admin = testKafka(brokers).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await orders?.stop();
    await admin?.disconnect();
    if (env?.DATABASE_URL) await dropDatabase(env.DATABASE_URL);
  });

  it('takes orders within seconds of the restart, while readiness reports the consumer joining; ready once it joined', async () => {
    const before = new Set(await members());
    orders = await spawnService('orders', env); // ready: its consumer is in the group
    const first = (await members()).filter((m) => !before.has(m));
    expect(first).toHaveLength(1);

    await orders.kill();
    // the broker knows nothing of the kill: the dead member stays in the group until its session expires
    expect(await members()).toEqual(expect.arrayContaining(first));

    const restartedAt = Date.now();
    orders = await spawnService('orders', env, { waitReady: false });
    const placed = (await waitUntil('POST /orders to be answered', () => place().catch(() => undefined), {
      timeoutMs: SESSION_TIMEOUT_MS + 30_000,
      intervalMs: 100,
    })) as Response;
    const answeredAfterMs = Date.now() - restartedAt;
    // read after the answer: the consumer had not joined when the order was taken
    const meanwhile = await ready();
    expect(placed.status).toBe(202);
    expect((await placed.json()).status).toBe('PENDING');
    expect(meanwhile.status).toBe(503);
    expect(meanwhile.kafka).toMatchObject({ status: 'down', consumer: expect.stringMatching(/^(connecting|joining)$/) });
    await waitUntil('readiness to report the consumer joining', async () => (await ready()).kafka?.consumer === 'joining', { timeoutMs: 10_000 });
    expect(await members()).toEqual(expect.arrayContaining(first)); // still waiting for the dead member's session
    expect((await fetch(`${orders.url}/health/live`)).status).toBe(200);

    // once the broker has dropped the dead member, the new consumer joins and readiness comes up
    await waitUntil('readiness to come up', async () => (await ready()).status === 200, { timeoutMs: SESSION_TIMEOUT_MS + 60_000, intervalMs: 250 });
    const readyAfterMs = Date.now() - restartedAt;
    expect((await ready()).kafka).toMatchObject({ status: 'up', consumer: 'connected' });
    const second = await members();
    expect(second).not.toEqual(expect.arrayContaining(first));
    process.stderr.write(`restart after kill -9: POST /orders answered after ${answeredAfterMs} ms, ready after ${readyAfterMs} ms\n`);

    // a graceful stop leaves the group (LeaveGroup): nothing of it is left for the next start to wait for
    const mine = second.filter((m) => !before.has(m));
    expect(mine).toHaveLength(1);
    await orders.stop();
    expect(await members()).not.toEqual(expect.arrayContaining(mine));
  });
});
