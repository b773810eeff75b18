import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DeadLetterHeaders, Topics } from '@app/contracts';
import { InboxConsumer } from '@app/messaging';
import {
  createDatabase,
  dropDatabase,
  infra,
  PostgresHandle,
  query,
  readTopics,
  RunningApp,
  serviceForSuite,
  setDatabaseReadOnly,
  sharedInfra,
  startInProcess,
  testKafka,
  uniqueTopicPrefix,
  waitUntil,
} from '@app/testing';
import { probeService } from './fixtures/probe.definition';
import { cancelledEnvelope as envelope, createTopics } from './harness';

/** Produces values with one key (so one partition) and returns where each one landed. */
async function send(brokers: string, topic: string, key: string, values: string[]): Promise<{ partition: number; offset: string }[]> {
  const producer = testKafka(brokers).producer();
  await producer.connect();
  const placed: { partition: number; offset: string }[] = [];
  for (const value of values) {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
    placed.push({ partition: meta.partition, offset: meta.baseOffset! });
  }
  await producer.disconnect();
  return placed;
}

const applied = (url: string, reason: string) =>
  query(url, 'SELECT applied_count FROM effects WHERE reason = $1', [reason]).then((r) => r[0]?.applied_count as number | undefined);

describe('inbox consumer (real Kafka, real PostgreSQL)', () => {
  const suite = serviceForSuite(probeService);
  const { brokers } = suite;
  const topic = `${suite.prefix}${Topics.OrdersEvents}`;

  it('a duplicate delivery is acknowledged and changes nothing', async () => {
    const orderId = randomUUID();
    const first = envelope(orderId, 'dup-1');
    await send(brokers, topic, orderId, [JSON.stringify(first), JSON.stringify(first), JSON.stringify(envelope(orderId, 'dup-after'))]);
    await waitUntil('the event after the duplicate to be applied', () => applied(suite.databaseUrl, 'dup-after'));
    expect(await applied(suite.databaseUrl, 'dup-1')).toBe(1);
    expect(await query(suite.databaseUrl, 'SELECT count(*)::int AS n FROM inbox WHERE event_id = $1', [first.id])).toEqual([{ n: 1 }]);
  });

  it("applies a batch in one transaction without waiting for the batch's heartbeat (a dead or frozen coordinator must not hold its locks)", async () => {
    const orderId = randomUUID();
    const never = () => new Promise<void>(() => {}); // a heartbeat to a coordinator that will not answer
    const messages = ['hb-1', 'hb-2'].map((reason, i) => ({
      topic: Topics.OrdersEvents,
      partition: 0,
      offset: String(1_000_000 + i),
      key: Buffer.from(orderId),
      value: Buffer.from(JSON.stringify(envelope(orderId, reason))),
      headers: {},
      heartbeat: never,
    }));
    const inbox = suite.running.app.get(InboxConsumer);
    const outcome = await Promise.race([inbox.handleInOneTransaction(messages), new Promise((r) => setTimeout(() => r('still waiting'), 20_000))]);
    expect(outcome).toBe(true);
    expect([await applied(suite.databaseUrl, 'hb-1'), await applied(suite.databaseUrl, 'hb-2')]).toEqual([1, 1]);
  });

  it('poison messages go to the dead-letter topic with their origin and error, and the partition moves on', async () => {
    const orderId = randomUUID();
    const values = [
      'this is not JSON',
      JSON.stringify(envelope(orderId, 'x'.repeat(600))), // data fails validation (reason too long)
      JSON.stringify(envelope(orderId, 'v9', { version: 9 })),
      JSON.stringify({ hello: 'world' }),
      JSON.stringify(envelope(orderId, 'after-poison')),
    ];
    const placed = await send(brokers, topic, orderId, values);
    await waitUntil('the valid message after the poison to be applied', () => applied(suite.databaseUrl, 'after-poison'));

    const dead = await readTopics(brokers, [`${topic}.dlt`], { expected: 4 });
    const headers = dead.map((m) => Object.fromEntries(Object.entries(m.headers!).map(([k, v]) => [k, v!.toString()])));
    expect(headers.map((h) => h[DeadLetterHeaders.ErrorCode])).toEqual(['NOT_JSON', 'INVALID_DATA', 'UNKNOWN_VERSION', 'BAD_ENVELOPE']);
    expect(headers.map((h) => h[DeadLetterHeaders.OriginalOffset])).toEqual(placed.slice(0, 4).map((p) => p.offset));
    for (const h of headers) {
      expect(h[DeadLetterHeaders.OriginalTopic]).toBe(topic);
      expect(h[DeadLetterHeaders.OriginalPartition]).toBe(String(placed[0].partition));
      expect(h[DeadLetterHeaders.OriginalKey]).toBe(orderId);
      expect(h[DeadLetterHeaders.Consumer]).toBe('probe');
    }
    expect(headers[1][DeadLetterHeaders.ErrorMessage]).toMatch(/reason must be shorter than or equal to 500 characters/);
    expect(dead.map((m) => m.value!.toString())).toEqual(values.slice(0, 4)); // the original bytes, untouched
    expect(await query(suite.databaseUrl, 'SELECT count(*)::int AS n FROM effects WHERE order_id = $1', [orderId])).toEqual([{ n: 1 }]);
  });
});

describe('inbox consumer working off a backlog (one partition, one fetch)', () => {
  const { brokers } = sharedInfra();
  const prefix = uniqueTopicPrefix();
  const topic = `${prefix}${Topics.OrdersEvents}`;
  let databaseUrl: string;
  let probe: RunningApp | undefined;

  beforeAll(async () => {
    databaseUrl = await createDatabase('probe');
  });

  afterAll(async () => {
    await probe?.close();
    await dropDatabase(databaseUrl);
  });

  it('applies the events in shared transactions, in order, each once; a batch that fails is rolled back and applied one by one', async () => {
    const orderId = randomUUID();
    const events = Array.from({ length: 120 }, (_, i) => envelope(orderId, i === 70 ? `fail-once:${i}` : `backlog:${i}`));
    const values = events.map((e) => JSON.stringify(e));
    values.splice(40, 0, JSON.stringify(events[10])); // a re-delivered event inside a batch
    values.splice(90, 0, 'poison inside a batch');
    // all of it is on the partition before the consumer starts, so its first fetches return long batches
    await createTopics(brokers, prefix);
    await send(brokers, topic, orderId, values);
    probe = await startInProcess(probeService, { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, CONSUMER_BATCH_SIZE: '25' });
    await waitUntil('the whole backlog to be applied', async () => (await applied(databaseUrl, 'backlog:119')) === 1, { timeoutMs: 60_000, intervalMs: 250 });

    const effects = await query(databaseUrl, 'SELECT reason, applied_count, txid::text FROM effects ORDER BY applied_at');
    expect(effects.map((e) => e.reason)).toEqual(events.map((e) => (e.data as { reason: string }).reason));
    expect(effects.filter((e) => e.applied_count !== 1)).toEqual([]);
    // batches of up to 25 share a transaction; the batch with the failing event was applied one event per transaction
    const perTransaction = new Map<string, number>();
    for (const e of effects) perTransaction.set(e.txid, (perTransaction.get(e.txid) ?? 0) + 1);
    expect(Math.max(...perTransaction.values())).toBeGreaterThan(1);
    expect(Math.max(...perTransaction.values())).toBeLessThanOrEqual(25);
    const failed = effects.find((e) => e.reason === 'fail-once:70')!;
    expect(perTransaction.get(failed.txid)).toBe(1);
    // the poison message is dead-lettered once, although its batch was rolled back
    const dead = await readTopics(brokers, [`${topic}.dlt`], { idleMs: 2000, timeoutMs: 20_000 });
    expect(dead.map((m) => m.value!.toString())).toEqual(['poison inside a batch']);
  });
});

describe('inbox consumer whose database goes down for a while', () => {
  const { brokers } = sharedInfra();
  const prefix = uniqueTopicPrefix();
  const topic = `${prefix}${Topics.OrdersEvents}`;
  let dir: string;
  let pg: PostgresHandle;
  let databaseUrl: string;
  let probe: RunningApp;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-inbox-pg-'));
    pg = await infra.startPostgres({ dir, durable: false, quiet: true });
    databaseUrl = await createDatabase('probe', pg.url);
    probe = await startInProcess(probeService, { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix });
  });

  afterAll(async () => {
    await probe?.close().catch(() => {});
    await infra.stopPostgres(pg);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retries and then applies the message once: not dead-lettered, not skipped', async () => {
    const orderId = randomUUID();
    await infra.stopPostgres(pg);
    await send(brokers, topic, orderId, [JSON.stringify(envelope(orderId, 'while-down')), JSON.stringify(envelope(orderId, 'next-in-line'))]);
    await new Promise((r) => setTimeout(r, 5000)); // the consumer keeps failing for a while

    pg = await infra.startPostgres({ dir, port: pg.port, durable: false, quiet: true });
    await waitUntil('both messages to be applied after the database is back', async () => (await applied(databaseUrl, 'next-in-line')) === 1, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect(await applied(databaseUrl, 'while-down')).toBe(1);
    const [first, second] = await query(databaseUrl, `SELECT reason FROM effects ORDER BY applied_at`);
    expect([first.reason, second.reason]).toEqual(['while-down', 'next-in-line']);
    expect(await readTopics(brokers, [`${topic}.dlt`], { idleMs: 1000, timeoutMs: 3000 }).catch(() => [])).toEqual([]);
  });
});

describe('inbox consumer whose database takes no writes for a while (a failover)', () => {
  const { brokers } = sharedInfra();
  const prefix = uniqueTopicPrefix();
  const topic = `${prefix}${Topics.OrdersEvents}`;
  let databaseUrl: string;
  let probe: RunningApp;

  beforeAll(async () => {
    databaseUrl = await createDatabase('probe');
    probe = await startInProcess(probeService, { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix });
  });

  afterAll(async () => {
    await probe?.close().catch(() => {});
    await dropDatabase(databaseUrl);
  });

  it('retries while the server is read-only and applies the message once when it takes writes again: not dead-lettered', async () => {
    const orderId = randomUUID();
    // the server the database's address leads to is read-only for now (a standby not yet promoted)
    await setDatabaseReadOnly(databaseUrl, true);
    await send(brokers, topic, orderId, [JSON.stringify(envelope(orderId, 'while-read-only')), JSON.stringify(envelope(orderId, 'after-it'))]);
    // long enough for three failed attempts, after which a failure that is not transient is dead-lettered
    await new Promise((r) => setTimeout(r, 4000));
    expect(await readTopics(brokers, [`${topic}.dlt`], { idleMs: 500, timeoutMs: 2000 })).toEqual([]);
    expect(await applied(databaseUrl, 'while-read-only')).toBeUndefined();

    await setDatabaseReadOnly(databaseUrl, false);
    await waitUntil('both messages to be applied once the database takes writes', async () => (await applied(databaseUrl, 'after-it')) === 1, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect(await applied(databaseUrl, 'while-read-only')).toBe(1);
    expect(await readTopics(brokers, [`${topic}.dlt`], { idleMs: 1000, timeoutMs: 3000 })).toEqual([]);
  });
});
