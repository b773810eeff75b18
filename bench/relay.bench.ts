/**
 * npm run bench:relay — the outbox relay against a raw kafkajs producer, side by side on one broker:
 * (a) relay publish rate over 100,000 committed events of about 500 bytes, first to last ack;
 * (b) a raw kafkajs producer sending the same messages, same batch size, same acks, same producer settings;
 * (c) commit-to-publish latency while 1,000 events/s are committed one per transaction.
 * Medians over several rounds. Figures only: nothing here is a pass/fail threshold.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { ALL_TOPICS, OrderCancelledV1, Topics } from '@app/contracts';
import { MESSAGING_MIGRATIONS, Outbox } from '@app/messaging';
import { createKafka } from '@app/messaging/kafka/kafka-client';
import { ensureTopics } from '@app/messaging/kafka/topic-admin';
import { TopicNames } from '@app/messaging/kafka/topic-names';
import { OutboxRelay } from '@app/messaging/relay/outbox-relay';
import { KafkaRelayPublisher, OutboxRow, RelayPublisher } from '@app/messaging/relay/publisher';
import { anEnvelope, infra } from '@app/testing';
import { machine, median, percentile, progress, round, table, writeResult } from './lib';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const KEYS = 1000;
const LANES = 16;

interface Acks {
  first: number;
  last: number;
  firstBatch: number;
  total: number;
}

/** Wraps a publisher to time every acknowledgement (and, for latency, each event's ack time). */
function timed(inner: RelayPublisher, acks: Acks, ackedAt?: Map<string, number>): RelayPublisher {
  return {
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    async publish(rows: OutboxRow[]) {
      await inner.publish(rows);
      const now = performance.now();
      if (acks.total === 0) {
        acks.first = now;
        acks.firstBatch = rows.length;
      }
      acks.last = now;
      acks.total += rows.length;
      if (ackedAt) for (const r of rows) ackedAt.set(r.headers['event-id'], performance.timeOrigin + now);
    },
  };
}

const rate = (a: Acks) => (a.total - a.firstBatch) / ((a.last - a.first) / 1000);

/** Runs the steady commit load in a worker thread (its own event loop) and returns each event's commit time. */
function commitLoad(url: string, seconds: number, perSecond: number, keys: string[]): Promise<{ committed: [string, number][]; rate: number }> {
  const entry = path.join(__dirname, 'commit-load.worker.ts');
  const worker = new Worker(`require('ts-node/register/transpile-only'); require('tsconfig-paths/register'); require(${JSON.stringify(entry)});`, {
    eval: true,
    workerData: { url, seconds, perSecond, keys, lanes: LANES },
  });
  return new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.progress) progress(`  ${m.progress}s committed`);
      else if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    worker.on('error', reject);
  });
}

function event(key: string) {
  // an envelope of about 500 bytes
  return { data: Object.assign(new OrderCancelledV1(), { reason: 'r'.repeat(240) }), orderId: key, correlationId: key };
}

async function main() {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-bench-relay-'));
  progress(`starting Kafka and PostgreSQL (fsync on) in ${dir}`);
  const stack = await infra.stackUp({ dir, durable: true, quiet: true });
  const brokers = stack.kafka.brokers as string;
  const cleanup = async () => {
    await infra.stackDown({ dir, quiet: true });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    const kafka = createKafka({ brokers: [brokers] }, 'bench');
    const url = infra.databaseUrl(stack.postgres.url, 'orders');
    const dataSource = new DataSource({ type: 'postgres', url, migrations: MESSAGING_MIGRATIONS, extra: { max: 20 } });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const outbox = new Outbox({ outbox: { lanes: LANES } } as never);
    const keys = Array.from({ length: KEYS }, () => randomUUID());
    const quiet = { log: () => {}, warn: (m: string) => progress(`relay: ${m}`), error: (m: string) => progress(`relay: ${m}`) };

    // (c) first, in a fresh process and database: steady state, not the garbage collection,
    // vacuum and checkpoint work that the 100,000-event rounds leave behind
    await infra.ensureDatabases(stack.postgres.url, ['latency']);
    const latencyUrl = infra.databaseUrl(stack.postgres.url, 'latency');
    const latencyDs = new DataSource({ type: 'postgres', url: latencyUrl, migrations: MESSAGING_MIGRATIONS });
    await latencyDs.initialize();
    await latencyDs.runMigrations({ transaction: 'each' });
    await latencyDs.query('CHECKPOINT');
    await latencyDs.destroy();
    progress(`latency: committing 1,000 events/s, one per transaction, for ${LATENCY_SECONDS}s, relay woken by NOTIFY`);
    const prefix = 'benchlat.';
    await ensureTopics(kafka, ALL_TOPICS.map((t) => `${prefix}${t}`), 6, 1);
    const ackedAt = new Map<string, number>();
    const latencyAcks: Acks = { first: 0, last: 0, firstBatch: 0, total: 0 };
    const relay = new OutboxRelay(
      { databaseUrl: latencyUrl, lanes: LANES, batchSize: BATCH, pollIntervalMs: 1000, logger: quiet },
      timed(new KafkaRelayPublisher(createKafka({ brokers: [brokers] }, 'bench-latency'), new TopicNames(prefix)), latencyAcks, ackedAt),
    );
    await relay.start();
    await new Promise((res) => setTimeout(res, 1500)); // lanes claimed, producer connected
    const { committed, rate: achievedRate } = await commitLoad(latencyUrl, LATENCY_SECONDS, 1000, keys);
    while (latencyAcks.total < committed.length) await new Promise((res) => setTimeout(res, 50));
    await relay.stop();
    const latencies = committed.map(([id, at]) => Math.max(0, ackedAt.get(id)! - at));

    const rounds: { relay: number; raw: number }[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const prefix = `bench${r}.`;
      await ensureTopics(kafka, ALL_TOPICS.map((t) => `${prefix}${t}`), 6, 1);

      progress(`round ${r}/${ROUNDS}: committing ${EVENTS.toLocaleString()} events (1,000 per transaction)`);
      for (let i = 0; i < EVENTS; i += 1000) {
        await dataSource.transaction((tx) => outbox.enqueue(tx, Array.from({ length: Math.min(1000, EVENTS - i) }, (_, j) => event(keys[(i + j) % KEYS]))));
      }
      const rows: OutboxRow[] = await dataSource.query(`SELECT id, topic, message_key AS key, payload, headers FROM outbox ORDER BY id`);

      progress(`round ${r}/${ROUNDS}: relay publishing them`);
      const relayAcks: Acks = { first: 0, last: 0, firstBatch: 0, total: 0 };
      const relay = new OutboxRelay(
        { databaseUrl: url, lanes: LANES, batchSize: BATCH, pollIntervalMs: 1000, logger: quiet },
        timed(new KafkaRelayPublisher(createKafka({ brokers: [brokers] }, 'bench-relay'), new TopicNames(prefix)), relayAcks),
      );
      await relay.start();
      while (relayAcks.total < EVENTS) await new Promise((res) => setTimeout(res, 50));
      await relay.stop();

      progress(`round ${r}/${ROUNDS}: raw kafkajs producer sending the same ${EVENTS.toLocaleString()} messages`);
      const rawAcks: Acks = { first: 0, last: 0, firstBatch: 0, total: 0 };
      const raw = timed(new KafkaRelayPublisher(createKafka({ brokers: [brokers] }, 'bench-raw'), new TopicNames(`${prefix}raw.`)), rawAcks);
      await ensureTopics(kafka, [`${prefix}raw.${Topics.OrdersEvents}`], 6, 1);
      await raw.connect();
      for (let i = 0; i < rows.length; i += BATCH) await raw.publish(rows.slice(i, i + BATCH));
      await raw.disconnect();

      rounds.push({ relay: rate(relayAcks), raw: rate(rawAcks) });
      progress(`round ${r}/${ROUNDS}: relay ${Math.round(rate(relayAcks)).toLocaleString()} events/s, raw ${Math.round(rate(rawAcks)).toLocaleString()} events/s`);
    }

    await dataSource.destroy();
    const relayRate = median(rounds.map((r) => r.relay));
    const rawRate = median(rounds.map((r) => r.raw));
    const result = {
      benchmark: 'relay',
      at: new Date().toISOString(),
      machine: machine(),
      settings: { events: EVENTS, rounds: ROUNDS, batchSize: BATCH, eventBytes: Buffer.byteLength(rows0(keys[0])), lanes: LANES, acks: 'all', idempotentProducer: true, postgresFsync: true },
      rounds,
      relay_events_per_s: Math.round(relayRate),
      raw_events_per_s: Math.round(rawRate),
      ratio: round(relayRate / rawRate, 2),
      latency: { target_events_per_s: 1000, committed_events_per_s: Math.round(achievedRate), samples: latencies.length, p50_ms: round(percentile(latencies, 50)), p90_ms: round(percentile(latencies, 90)), p99_ms: round(percentile(latencies, 99)), max_ms: round(Math.max(...latencies)) },
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const file = writeResult('relay', result);

    console.log('');
    console.log(table([
      ['measure', 'value'],
      ['(a) relay, events/s (median of rounds)', result.relay_events_per_s],
      ['(b) raw kafkajs producer, events/s', result.raw_events_per_s],
      ['ratio a/b', result.ratio],
      ['rounds (relay / raw)', rounds.map((r) => `${Math.round(r.relay)}/${Math.round(r.raw)}`).join(', ')],
      ['(c) commit-to-publish p50 ms', result.latency.p50_ms],
      ['(c) commit-to-publish p90 ms', result.latency.p90_ms],
      ['(c) commit-to-publish p99 ms', result.latency.p99_ms],
      ['(c) commit-to-publish max ms', result.latency.max_ms],
      ['(c) committed events/s', result.latency.committed_events_per_s],
    ]));
    console.log(`\n${EVENTS.toLocaleString()} events of ${result.settings.eventBytes} bytes, batches of ${BATCH}, acks=all, idempotent producer, ${ROUNDS} rounds; results in ${file}`);
    console.log(`RESULT relay_events_per_s=${result.relay_events_per_s} raw_events_per_s=${result.raw_events_per_s} ratio=${result.ratio} commit_to_publish_p50_ms=${result.latency.p50_ms} commit_to_publish_p99_ms=${result.latency.p99_ms}`);
  } finally {
    await cleanup();
  }
}

function rows0(key: string): string {
  return JSON.stringify(anEnvelope(OrderCancelledV1, event(key).data, { orderId: key, correlationId: key }));
}

main().catch((err) => {
  console.error(`bench:relay failed: ${err.stack ?? err}`);
  process.exit(1);
});
