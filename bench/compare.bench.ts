/**
 * npm run bench:compare — one setting, several values, side by side in one run: the three services are
 * restarted with each value in turn (rounds alternate the values, so drift on a noisy machine hits all
 * of them alike) and take the same evenly paced load. Per value, medians over the rounds of: CPU per
 * order (the whole machine's busy time, so the broker, PostgreSQL and the load are included), orders
 * still unfinished when the load stops, and placed-to-CONFIRMED latency. KAFKA_NODES=3: on a 3-node Kafka cluster.
 *
 *   COMPARE_SETTING=CONSUMER_BATCH_SIZE COMPARE_VALUES=1,50 COMPARE_RATE=60 npm run bench:compare
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'pg';
import { infra } from '@app/testing';
import { machine, median, percentile, progress, round, table, writeResult } from './lib';
import { orderBody, paced, startSaga } from './saga';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const apps = require('../infra/lib/apps');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaLib = require('../infra/lib/kafka');

const SETTING = process.env.COMPARE_SETTING ?? 'CONSUMER_BATCH_SIZE';
const VALUES = (process.env.COMPARE_VALUES ?? '1,50').split(',').map((v) => v.trim());
const RATE = Number(process.env.COMPARE_RATE ?? 40);
const SECONDS = Number(process.env.COMPARE_SECONDS ?? 20);
const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 3);

function fail(message: string): never {
  console.error(`bench:compare: ${message}`);
  process.exit(2);
}
if (!/^[A-Z][A-Z0-9_]*$/.test(SETTING)) fail(`COMPARE_SETTING must be an environment variable name like CONSUMER_BATCH_SIZE, not "${SETTING}"`);
if (VALUES.length < 2 || VALUES.some((v) => v === ''))
  fail(`COMPARE_VALUES must list at least two comma-separated values, not "${process.env.COMPARE_VALUES}"`);
for (const [name, n] of [
  ['COMPARE_RATE', RATE],
  ['COMPARE_SECONDS', SECONDS],
  ['COMPARE_ROUNDS', ROUNDS],
] as const) {
  if (!Number.isFinite(n) || n <= 0) fail(`${name} must be a positive number`);
}
/** KAFKA_NODES as the launcher reads it (1 or 3): the Kafka every value runs on. */
function kafkaNodeCount(): number {
  try {
    return kafkaLib.readNodes();
  } catch (err) {
    fail((err as Error).message);
  }
}
const KAFKA_NODES = kafkaNodeCount();
// the infrastructure starts once for all values: they would all run on the same Kafka
if (SETTING === 'KAFKA_NODES') fail('KAFKA_NODES cannot be compared in one run (the Kafka is started once); run bench:compare once with each');

/** Seconds the whole machine was busy (all CPUs, every process), from /proc/stat. */
function busySeconds(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  return (fields.reduce((a, b) => a + b, 0) - idle) / 100; // USER_HZ
}

interface Measure {
  value: string;
  round: number;
  cpuMsPerOrder: number;
  unfinishedAtEnd: number;
  p50: number;
  p90: number;
  p99: number;
}

async function main() {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-bench-compare-'));
  progress(`comparing ${SETTING} = ${VALUES.join(' vs ')} at ${RATE} orders/s for ${SECONDS}s, ${ROUNDS} rounds`);
  progress(`starting ${KAFKA_NODES > 1 ? `a ${KAFKA_NODES}-node Kafka cluster` : 'Kafka'} and PostgreSQL (fsync on) in ${dir}`);
  const state = await infra.stackUp({ dir, durable: true, quiet: true, kafkaNodes: KAFKA_NODES });
  const ordersDb = new Pool({ connectionString: infra.databaseUrl(state.postgres.url, 'orders'), max: 2 });
  const unfinished = async (customer: string) =>
    Number((await ordersDb.query(`SELECT count(*) FROM orders WHERE customer_id = $1 AND status IN ('PENDING','RESERVED')`, [customer])).rows[0].count);
  const measures: Measure[] = [];
  try {
    progress('building the apps (only what changed)');
    apps.buildApps();
    for (let r = 1; r <= ROUNDS; r++) {
      for (const value of VALUES) {
        progress(`round ${r}/${ROUNDS}: ${SETTING}=${value}: starting the services`);
        // each value has topics of its own, made by its own services: two builds may create them differently
        const topics: Record<string, string> = SETTING === 'KAFKA_TOPIC_PREFIX' ? {} : { KAFKA_TOPIC_PREFIX: `compare${VALUES.indexOf(value)}.` };
        const saga = await startSaga(state, dir, { ...topics, [SETTING]: value });
        try {
          const url = `${saga.ordersUrl}/orders`;
          await paced(url, orderBody(`warm-up-${r}-${value}`), RATE, 5);
          const customer = `compare-${r}-${value}`;
          const before = busySeconds();
          const load = await paced(url, orderBody(customer), RATE, SECONDS);
          const unfinishedAtEnd = await unfinished(customer);
          for (let left = unfinishedAtEnd; left > 0; left = await unfinished(customer)) await new Promise((res) => setTimeout(res, 250));
          const cpuMsPerOrder = ((busySeconds() - before) * 1000) / Math.max(1, load.ok);
          const ms = (
            await ordersDb.query(
              `SELECT extract(epoch FROM t.recorded_at - o.created_at) * 1000 AS ms FROM orders o
                 JOIN order_timeline t ON t.order_id = o.id AND t.status = 'CONFIRMED' WHERE o.customer_id = $1`,
              [customer],
            )
          ).rows.map((row) => Number(row.ms));
          const m = { value, round: r, cpuMsPerOrder, unfinishedAtEnd, p50: percentile(ms, 50), p90: percentile(ms, 90), p99: percentile(ms, 99) };
          measures.push(m);
          progress(
            `    ${round(cpuMsPerOrder)} ms CPU per order, ${unfinishedAtEnd} unfinished when the load stopped, p50 ${round(m.p50)} / p90 ${round(m.p90)} / p99 ${round(m.p99)} ms` +
              (load.failed ? `, ${load.failed} requests failed` : ''),
          );
        } finally {
          await saga.stop();
        }
      }
    }
  } finally {
    await ordersDb.end();
    await infra.stackDown({ dir, quiet: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const summary = VALUES.map((value) => {
    const of = measures.filter((m) => m.value === value);
    const med = (k: keyof Measure) => round(median(of.map((m) => m[k] as number)));
    return {
      value,
      cpu_ms_per_order: med('cpuMsPerOrder'),
      unfinished_at_end: med('unfinishedAtEnd'),
      p50_ms: med('p50'),
      p90_ms: med('p90'),
      p99_ms: med('p99'),
    };
  });
  const base = summary[0].cpu_ms_per_order;
  const file = writeResult('compare', {
    benchmark: 'compare',
    at: new Date().toISOString(),
    machine: machine(),
    settings: { setting: SETTING, values: VALUES, rate: RATE, seconds: SECONDS, rounds: ROUNDS, kafkaNodes: KAFKA_NODES },
    measures,
    summary,
    seconds: Math.round((Date.now() - started) / 1000),
  });
  console.log('');
  console.log(
    table([
      [SETTING, 'CPU ms/order', `vs ${VALUES[0]}`, 'unfinished at end', 'p50 ms', 'p90 ms', 'p99 ms'],
      ...summary.map((s) => [s.value, s.cpu_ms_per_order, round(s.cpu_ms_per_order / base, 2), s.unfinished_at_end, s.p50_ms, s.p90_ms, s.p99_ms]),
    ]),
  );
  console.log(
    `\nmedians of ${ROUNDS} rounds at ${RATE} orders/s for ${SECONDS}s each, Kafka ${KAFKA_NODES > 1 ? `cluster of ${KAFKA_NODES} nodes` : 'one broker'}; results in ${file}`,
  );
  console.log(`RESULT setting=${SETTING} ` + summary.map((s) => `cpu_ms_per_order[${s.value}]=${s.cpu_ms_per_order} p50_ms[${s.value}]=${s.p50_ms}`).join(' '));
}

main().catch((err) => {
  console.error(`bench:compare failed: ${err.stack ?? err}`);
  process.exit(1);
});
