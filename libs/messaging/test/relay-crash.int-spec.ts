import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Topics } from '@app/contracts';
import { createDatabase, dropDatabase, query, readTopics, RunningApp, sharedInfra, startInProcess, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { consumerGroupOf } from '../src';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { createOutboxDb, createTopics, OutboxDb, sequenced, startRelay, uuids } from './harness';
import { probeService } from './fixtures/probe.definition';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('a relay killed after Kafka acknowledged a batch, before it recorded that', () => {
  const { brokers } = sharedInfra();
  const prefix = uniqueTopicPrefix();
  let db: OutboxDb;
  let consumerDb: string;
  let consumer: RunningApp;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
    consumerDb = await createDatabase('probe');
  });

  afterAll(async () => {
    await relay?.stop();
    await consumer?.close();
    await db.close();
    await dropDatabase(consumerDb);
  });

  it('re-publishes the batch, and a consumer using the inbox applies each event once', async () => {
    const keys = uuids(10);
    await db.dataSource.transaction((tx) =>
      db.outbox.enqueue(
        tx,
        keys.map((k) => sequenced(k, 0)),
      ),
    );

    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(__dirname, 'fixtures', 'crashing-relay.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DATABASE_URL: db.url, KAFKA_BROKERS: brokers, TOPIC_PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const signal = await new Promise((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    expect(out).toContain('acknowledged 10');

    // Kafka has the batch, the outbox still has every row: the crash hit between the two
    expect(await readTopics(brokers, [`${prefix}${Topics.OrdersEvents}`], { expected: 10 })).toHaveLength(10);
    expect(await db.dataSource.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 10 }]);

    relay = startRelay(db.url, brokers, prefix);
    await waitUntil('the new relay to drain the outbox', async () => (await db.dataSource.query('SELECT count(*)::int AS n FROM outbox'))[0].n === 0);
    const onKafka = await readTopics(brokers, [`${prefix}${Topics.OrdersEvents}`], { expected: 20 });
    expect(onKafka).toHaveLength(20); // every event twice

    consumer = await startInProcess(probeService, { DATABASE_URL: consumerDb, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix });
    await waitUntil('the consumer to read all 20 deliveries', async () => (await query(consumerDb, 'SELECT count(*)::int AS n FROM effects'))[0].n === 10);
    // all 20 deliveries have gone through the inbox once its offsets are committed
    await waitUntil('the consumer group to commit offset 20', async () => {
      const { testKafka } = await import('@app/testing');
      const admin = testKafka(brokers).admin();
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId: consumerGroupOf('probe', prefix), topics: [`${prefix}${Topics.OrdersEvents}`] });
      await admin.disconnect();
      return offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) === 20;
    });
    const effects = await query(consumerDb, 'SELECT order_id, applied_count FROM effects ORDER BY order_id');
    expect(effects).toEqual([...keys].sort().map((k) => ({ order_id: k, applied_count: 1 })));
    expect(await query(consumerDb, 'SELECT count(*)::int AS n FROM inbox')).toEqual([{ n: 10 }]);
  });
});
