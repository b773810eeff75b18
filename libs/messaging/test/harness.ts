import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventEnvelope, OrderCancelledV1 } from '@app/contracts';
import { anEnvelope, createDatabase, dropDatabase } from '@app/testing';
import { MessagingOptions, MESSAGING_MIGRATIONS, Outbox } from '../src';
import { createKafka } from '../src/kafka/kafka-client';
import { TopicNames } from '../src/kafka/topic-names';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { KafkaRelayPublisher, RelayPublisher } from '../src/relay/publisher';

/** A database with the messaging tables, and an Outbox writing to it. */
export interface OutboxDb {
  url: string;
  dataSource: DataSource;
  outbox: Outbox;
  close(): Promise<void>;
}

export const LANES = 16;

/** An OrderCancelled envelope as a producer would send it (the probe service applies these); `overrides` may set anything, a version too. */
export function cancelledEnvelope(orderId: string, reason: string, overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return { ...anEnvelope(OrderCancelledV1, { reason }, { orderId, correlationId: orderId }), ...overrides };
}

export function messagingOptions(url: string, brokers: string, prefix: string): MessagingOptions {
  return {
    service: 'probe',
    brokers: brokers.split(','),
    topicPrefix: prefix,
    topicPartitions: 6,
    replicationFactor: 1,
    databaseUrl: url,
    outbox: { lanes: LANES, batchSize: 500, pollIntervalMs: 500, backlogMaxAgeMs: 60_000 },
    inbox: { retentionHours: 192 },
    consumer: { concurrency: 3, sessionTimeoutMs: 10_000, commitIntervalMs: 1000, batchSize: 50 },
  };
}

export async function createOutboxDb(url?: string): Promise<OutboxDb> {
  const dbUrl = url ?? (await createDatabase('outbox'));
  const dataSource = new DataSource({ type: 'postgres', url: dbUrl, migrations: MESSAGING_MIGRATIONS, extra: { max: 30 } });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const outbox = new Outbox(messagingOptions(dbUrl, '127.0.0.1:1', ''));
  return {
    url: dbUrl,
    dataSource,
    outbox,
    async close() {
      await dataSource.destroy();
      if (!url) await dropDatabase(dbUrl);
    },
  };
}

/** An event whose payload says which key and sequence number it is, padded to about `bytes`. */
export function sequenced(key: string, seq: number, bytes = 0): { data: OrderCancelledV1; orderId: string; correlationId: string } {
  const reason = `seq:${seq}`;
  return {
    data: Object.assign(new OrderCancelledV1(), { reason: bytes > 0 ? reason.padEnd(Math.min(bytes, 500), '.') : reason }),
    orderId: key,
    correlationId: key,
  };
}

/** Commits `perKey` events for each key, one transaction each, in order per key, keys in parallel. */
export async function enqueueSequences(db: OutboxDb, keys: string[], perKey: number, { parallel = 16, bytes = 0 } = {}): Promise<void> {
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key; key = queue.shift()) {
      for (let seq = 0; seq < perKey; seq++) {
        await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(key!, seq, bytes)]));
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

export function uuids(n: number): string[] {
  return Array.from({ length: n }, () => randomUUID());
}

export function startRelay(url: string, brokers: string, prefix: string, wrap?: (p: RelayPublisher) => RelayPublisher, batchSize = 500): OutboxRelay {
  const options = messagingOptions(url, brokers, prefix);
  const publisher = new KafkaRelayPublisher(createKafka(options, `relay-${randomUUID().slice(0, 8)}`), new TopicNames(prefix));
  const quiet = { log: () => {}, warn: () => {}, error: (m: string) => console.error(m) };
  const relay = new OutboxRelay({ databaseUrl: url, lanes: LANES, batchSize, pollIntervalMs: 200, logger: quiet }, wrap ? wrap(publisher) : publisher);
  void relay.start();
  return relay;
}

/** Per key, the sequence numbers in the order they are on Kafka (offset order within a partition). */
export function sequencesByKey(messages: { key: Buffer | null; value: Buffer | null }[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const m of messages) {
    const envelope = JSON.parse(m.value!.toString());
    const seq = Number(/^seq:(\d+)/.exec(envelope.data.reason)![1]);
    const key = m.key!.toString();
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(seq);
  }
  return byKey;
}

/** What a consumer with an inbox sees: each event once, the first time it arrives. */
export function firstOccurrences(seqs: number[]): number[] {
  const seen = new Set<number>();
  return seqs.filter((s) => (seen.has(s) ? false : (seen.add(s), true)));
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The saga's topics and their dead-letter topics under `prefix`, 6 partitions each (on a cluster: `replicationFactor` replicas, `minInsyncReplicas`). */
export async function createTopics(brokers: string, prefix: string, { replicationFactor = 1, minInsyncReplicas }: { replicationFactor?: number; minInsyncReplicas?: number } = {}): Promise<void> {
  const { ALL_TOPICS, deadLetterTopicOf } = await import('@app/contracts');
  const { ensureTopics } = await import('../src/kafka/topic-admin');
  const topics = ALL_TOPICS.flatMap((t) => [t, deadLetterTopicOf(t)]).map((t) => `${prefix}${t}`);
  await ensureTopics(createKafka({ brokers: brokers.split(',') }, 'test-admin'), topics, 6, replicationFactor, minInsyncReplicas);
}
