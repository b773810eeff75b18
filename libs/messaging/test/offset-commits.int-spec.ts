import { randomUUID } from 'node:crypto';
import type { Admin, Consumer } from 'kafkajs';
import { Topics } from '@app/contracts';
import { createDatabase, dropDatabase, query, RunningApp, sharedInfra, startInProcess, testKafka, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { consumerGroupOf, InboxConsumer, KafkaServerRef } from '../src';
import { probeService } from './fixtures/probe.definition';
import { cancelledEnvelope, createTopics } from './harness';

/**
 * Offsets are committed by the service's Kafka server every CONSUMER_COMMIT_INTERVAL_MS, and on
 * shutdown: not after every batch, which kafkajs' autoCommit does whatever its interval says
 * (a broker request per batch and partition, half of all the broker's requests at light load).
 */
describe('consumer offset commits (real Kafka, real PostgreSQL)', () => {
  const { brokers } = sharedInfra();
  let admin: Admin;

  beforeAll(async () => {
    admin = testKafka(brokers).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  /** A probe service on its own topics and database; `commits` counts its consumer's OffsetCommit requests. */
  async function startProbe(commitIntervalMs: number, env: Record<string, string> = {}, existing?: { prefix: string; databaseUrl: string }) {
    const prefix = existing?.prefix ?? uniqueTopicPrefix();
    const topic = `${prefix}${Topics.OrdersEvents}`;
    const group = consumerGroupOf('probe', prefix);
    if (!existing) await createTopics(brokers, prefix);
    const databaseUrl = existing?.databaseUrl ?? (await createDatabase('commits'));
    const probe: RunningApp = await startInProcess(probeService, {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      CONSUMER_COMMIT_INTERVAL_MS: String(commitIntervalMs),
      ...env,
    });
    const counter = { commits: 0 };
    const consumer = (probe.app.get(KafkaServerRef).server as unknown as { consumer: Consumer }).consumer;
    consumer.on(consumer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'OffsetCommit') counter.commits++;
    });
    return { prefix, topic, group, databaseUrl, probe, counter };
  }

  /** Sends events one at a time (each its own fetch and batch) and waits until all are applied. */
  async function sendApplied(topic: string, databaseUrl: string, n: number): Promise<void> {
    const producer = testKafka(brokers).producer();
    await producer.connect();
    const orderId = randomUUID();
    const reasons = Array.from({ length: n }, (_, i) => `commit-${randomUUID().slice(0, 8)}-${i}`);
    for (const reason of reasons) {
      await producer.send({ topic, acks: -1, messages: [{ key: orderId, value: JSON.stringify(cancelledEnvelope(orderId, reason)) }] });
      await waitUntil(
        `event ${reason} to be applied`,
        async () => (await query(databaseUrl, 'SELECT 1 FROM effects WHERE reason = $1', [reason])).length === 1,
      );
    }
    await producer.disconnect();
  }

  /** True when the group's committed offsets reach the end of every partition of the topic. */
  async function allCommitted(topic: string, group: string): Promise<boolean> {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return ends.every((end) => committed.partitions.find((p) => p.partition === end.partition)?.offset === end.offset || end.offset === '0');
  }

  it('commits nothing before its interval has passed, and everything applied when it shuts down', async () => {
    const { topic, group, databaseUrl, probe, counter } = await startProbe(60_000);
    try {
      await sendApplied(topic, databaseUrl, 5);
      // a commit after each batch would follow its handler within milliseconds
      await new Promise((r) => setTimeout(r, 1000));
      expect(counter.commits).toBe(0);
      expect(await allCommitted(topic, group)).toBe(false);
    } finally {
      await probe.close();
    }
    expect(await allCommitted(topic, group)).toBe(true);
    await dropDatabase(databaseUrl);
  });

  it('commits what it applied within the interval, also when no further event comes', async () => {
    const { topic, group, databaseUrl, probe, counter } = await startProbe(500);
    try {
      await sendApplied(topic, databaseUrl, 5);
      await waitUntil('the offsets of every applied event to be committed', () => allCommitted(topic, group), { timeoutMs: 10_000 });
      expect(counter.commits).toBeGreaterThan(0);
    } finally {
      await probe.close();
    }
    await dropDatabase(databaseUrl);
  });

  it.each([
    ['with', true],
    ['without (a producer that sends none: the ids come from the envelopes)', false],
  ])(
    'a batch delivered again is recognised with one look-up, %s event-id headers: its applied events skipped as a batch, the new ones applied',
    async (_, withHeaders) => {
      const first = await startProbe(1000, { CONSUMER_BATCH_SIZE: '25' });
      const { topic, group, databaseUrl } = first;
      const orderId = randomUUID();
      const events = Array.from({ length: 60 }, (_, i) => cancelledEnvelope(orderId, `again-${i}`));
      const send = async (batch: typeof events) => {
        const producer = testKafka(brokers).producer();
        await producer.connect();
        await producer.send({
          topic,
          acks: -1,
          messages: batch.map((e) => ({ key: orderId, value: JSON.stringify(e), headers: withHeaders ? { 'event-id': e.id } : {} })),
        });
        await producer.disconnect();
      };
      const appliedCount = async () => (await query(databaseUrl, `SELECT count(*)::int AS n FROM effects WHERE reason LIKE 'again-%'`))[0].n;
      await send(events.slice(0, 30));
      await waitUntil('the first 30 events to be applied', async () => (await appliedCount()) === 30);
      await first.probe.close();

      // as after a crash or a rebalance: the same events delivered again, in long fetches, and new ones after them
      await admin.resetOffsets({ groupId: group, topic, earliest: true });
      await send(events.slice(30));
      const again = await startProbe(1000, { CONSUMER_BATCH_SIZE: '25' }, first);
      try {
        await waitUntil('every event to be consumed and committed', async () => (await appliedCount()) === 60 && (await allCommitted(topic, group)), {
          timeoutMs: 30_000,
        });
        expect(again.probe.app.get(InboxConsumer).stats.duplicatesSkippedInBatches).toBeGreaterThanOrEqual(20);
      } finally {
        await again.probe.close();
      }
      const counts = await query(databaseUrl, `SELECT reason, applied_count FROM effects WHERE reason LIKE 'again-%' ORDER BY applied_at`);
      expect(counts).toEqual(events.map((e) => ({ reason: (e.data as { reason: string }).reason, applied_count: 1 })));
      await dropDatabase(databaseUrl);
    },
  );

  it('commits what it applied when the group rebalances (another instance joins), not only at its interval', async () => {
    const first = await startProbe(60_000);
    const { topic, group, databaseUrl } = first;
    let second: Awaited<ReturnType<typeof startProbe>> | undefined;
    try {
      await sendApplied(topic, databaseUrl, 5);
      expect(first.counter.commits).toBe(0);
      // a second instance joins: the group rebalances, and the first commits before it rejoins
      second = await startProbe(60_000, {}, first);
      await waitUntil('the first instance to commit what it applied', () => allCommitted(topic, group), { timeoutMs: 20_000 });
      expect(first.counter.commits).toBeGreaterThan(0);
    } finally {
      await second?.probe.close();
      await first.probe.close();
    }
    await dropDatabase(databaseUrl);
  });
});
