/**
 * npm run chaos — a 3-node Kafka cluster, PostgreSQL, two replicas of every service and a relay-only
 * instance, a steady load of orders, and faults on a schedule drawn from a seed; then, once the system is
 * quiet, a check of everything the databases and topics hold against what the customers were told.
 *
 *   CHAOS_SECONDS  length of the load (default 300)
 *   CHAOS_SEED     the schedule's seed (default: a random one, printed)
 *   CHAOS_RATE     orders per second (default 10)
 *   CHAOS_KEEP     1: keep the run's folder (logs, data) even when it passed
 */
import 'reflect-metadata';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterTopicOf, Topics } from '@app/contracts';
import { consumerGroupOf } from '@app/messaging';
import { machine, median, percentile, table, writeResult } from '../bench/lib';
import { check } from './checker';
import { collect } from './collect';
import { FaultRecord, runFaults } from './faults';
import { EMPTY_SKU, Exchange, OrderLoad, STOCK_PER_SKU, STOCKED_SKUS } from './load';
import { Verdict } from './model';
import { FaultKind, parseSeed, planFaults } from './schedule';
import { ChaosSystem, FREEZE_MS, SERVICES } from './system';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const apps = require('../infra/lib/apps');

export interface ChaosOptions {
  seconds: number;
  seed: number;
  rate: number;
  replicas?: number;
  keep?: boolean;
  /** Where progress goes (stderr by default). */
  log?: (message: string) => void;
  /** Longest wait for the system to settle after the load (default 300 s). */
  quiesceTimeoutMs?: number;
}

export interface FaultImpact {
  kind: FaultKind;
  faults: number;
  /** Orders placed while a fault of this kind was in effect. */
  ordersDuring: number;
  /** From placement to a final state, for those orders (ms): median and worst. */
  toFinalP50Ms: number | null;
  toFinalMaxMs: number | null;
  /** The longest time without a single 202 while a fault of this kind was in effect (ms). */
  longestIntakeGapMs: number;
  /** The slowest POST that got a 202 in the fault's window (ms). */
  slowestAcceptedMs: number | null;
  /** Most instances, besides one the fault killed, that reported not ready during one fault of this kind. */
  othersNotReady: number;
  /** Their longest stretch of "not ready" (ms). */
  longestNotReadyMs: number;
}

export interface ChaosResult {
  seed: number;
  seconds: number;
  rate: number;
  verdict: Verdict;
  faults: FaultRecord[];
  impact: FaultImpact[];
  baseline: { toFinalP50Ms: number | null; toFinalP99Ms: number | null };
  surprises: string[];
  quiesceMs: number;
  /** False when the system did not come to rest within the quiescence timeout: the run fails. */
  settled: boolean;
  /** Records on the dead-letter topics: an event a service gave up on (none may be, in a run of valid orders). */
  deadLetters: number;
  /** Orders the system ended otherwise than asked, where nothing but a fault can explain it (a late cancel can). */
  systemOutcomes: string[];
  resultLine: string;
  passed: boolean;
  resultFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks every HTTP instance for /health/ready once a second during the load: what an orchestrator would see. */
class ReadinessWatch {
  readonly samples = new Map<string, { at: number; ok: boolean }[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly system: ChaosSystem) {}

  start(): void {
    const names = SERVICES.flatMap((s) => this.system.replicasOf(s));
    for (const n of names) this.samples.set(n, []);
    const tick = async () => {
      await Promise.all(
        names.map(async (n) => {
          const at = Date.now();
          const ok = await fetch(`${this.system.url(n)}/health/ready`, { signal: AbortSignal.timeout(1500) })
            .then((r) => r.ok)
            .catch(() => false);
          this.samples.get(n)!.push({ at, ok });
        }),
      );
      if (this.timer) this.timer = setTimeout(tick, 1000);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Per instance, the longest run of "not ready" answers within [from, to] (ms; 0 = ready throughout). */
  notReadyWithin(from: number, to: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, samples] of this.samples) {
      let longest = 0;
      let since: number | null = null;
      for (const s of samples) {
        if (s.at < from || s.at > to) continue;
        if (!s.ok) {
          since ??= s.at;
          longest = Math.max(longest, s.at - since + 1000);
        } else since = null;
      }
      out.set(name, longest);
    }
    return out;
  }
}

function positiveInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, not "${raw}"`);
  return n;
}

async function stock(system: ChaosSystem, adminToken: string): Promise<Record<string, number>> {
  const base = system.url('inventory#1');
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const initial: Record<string, number> = {};
  for (const sku of [...STOCKED_SKUS, EMPTY_SKU]) {
    const put = await fetch(`${base}/products/${sku}`, { method: 'PUT', headers, body: JSON.stringify({ name: `Chaos ${sku}`, priceCents: 250 }) });
    if (!put.ok) throw new Error(`PUT /products/${sku} answered ${put.status}: ${await put.text()}`);
    initial[sku] = 0;
    if (sku === EMPTY_SKU) continue;
    const post = await fetch(`${base}/products/${sku}/stock`, { method: 'POST', headers, body: JSON.stringify({ quantity: STOCK_PER_SKU }) });
    if (!post.ok) throw new Error(`POST /products/${sku}/stock answered ${post.status}: ${await post.text()}`);
    initial[sku] = STOCK_PER_SKU;
  }
  return initial;
}

/** Counts of what still moves: orders not final, outbox rows not sent, events not consumed. */
async function backlog(system: ChaosSystem, kafka: Kafka): Promise<{ open: number; outbox: number; lag: number; deadLetters: number }> {
  let open = 0;
  let outbox = 0;
  for (const service of SERVICES) {
    const client = new Client({ connectionString: system.databaseUrl(service) });
    await client.connect();
    try {
      outbox += Number((await client.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n);
      if (service === 'orders') open = Number((await client.query("SELECT count(*)::int AS n FROM orders WHERE status IN ('PENDING','RESERVED')")).rows[0].n);
    } finally {
      await client.end();
    }
  }
  const admin = kafka.admin();
  let lag = 0;
  let deadLetters = 0;
  try {
    await admin.connect();
    const ends = new Map<string, number>();
    const endOf = async (topic: string, partition: number) => {
      if (!ends.has(`${topic}/${partition}`)) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
      return ends.get(`${topic}/${partition}`) ?? 0;
    };
    // every topic a group has committed on (the event topics, and orders' dead-letter topics), not a list kept here
    // the run's services have no topic prefix (system.ts pins it): their groups are the service names
    for (const service of SERVICES) {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId: consumerGroupOf(service, '') })) {
        for (const p of partitions) lag += Math.max(0, (await endOf(topic, p.partition)) - Math.max(0, Number(p.offset)));
      }
    }
    for (const topic of Object.values(Topics)) {
      for (const p of await admin.fetchTopicOffsets(deadLetterTopicOf(topic)).catch(() => [])) deadLetters += Number(p.high) - Number(p.low);
    }
  } finally {
    await admin.disconnect();
  }
  return { open, outbox, lag, deadLetters };
}

/**
 * Waits until nothing moves: every order final, every outbox empty, every consumer group at the end of every
 * topic it reads. Returns whether it got there, and the dead letters the topics hold.
 */
async function quiesce(system: ChaosSystem, log: (m: string) => void, timeoutMs: number): Promise<{ settled: boolean; deadLetters: number }> {
  const kafka = new Kafka({ clientId: 'chaos-quiesce', brokers: system.brokers.split(','), logLevel: logLevel.NOTHING });
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  let last = '';
  let deadLetters = 0;
  for (;;) {
    for (const name of system.instanceNames()) {
      // an instance a fault left down (its restart failed) is started again; a running one is left alone
      if (!system.isRunning(name)) {
        log(`${name} is not running: starting it`);
        await system.startInstance(name).catch((err) => log(`could not start ${name}: ${(err as Error).message}`));
      }
    }
    const down = await system.allReady();
    try {
      const b = await backlog(system, kafka);
      deadLetters = b.deadLetters;
      last = `${b.open} orders not final, ${b.outbox} outbox rows, consumer lag ${b.lag}${down.length ? `, not ready: ${down.join(', ')}` : ''}`;
      calm = b.open === 0 && b.outbox === 0 && b.lag === 0 && down.length === 0 ? calm + 1 : 0;
    } catch (err) {
      last = `could not read the backlog: ${(err as Error).message}`;
      calm = 0;
    }
    // twice in a row: the consumers commit their offsets on an interval
    if (calm >= 2) return { settled: true, deadLetters };
    if (Date.now() > deadline) {
      log(`not quiet after ${timeoutMs / 1000}s (${last}): the run fails, and what there is gets checked`);
      return { settled: false, deadLetters };
    }
    log(`settling: ${last}`);
    await sleep(3000);
  }
}

/** When each order was placed and finished, from the orders database (its own clock for both). */
async function orderTimes(system: ChaosSystem): Promise<Map<string, { createdAt: number; finalAt: number | null }>> {
  const client = new Client({ connectionString: system.databaseUrl('orders') });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT id, extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM updated_at) * 1000 AS updated, status FROM orders`,
    );
    return new Map(
      rows.map((r) => [r.id as string, { createdAt: Number(r.created), finalAt: ['PENDING', 'RESERVED'].includes(r.status) ? null : Number(r.updated) }]),
    );
  } finally {
    await client.end();
  }
}

/** The longest stretch within [from, to] without a 202. */
function longestGap(accepted: number[], from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const t of accepted) {
    if (t < from) continue;
    if (t > to) break;
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}

function impactOf(
  faults: FaultRecord[],
  load: OrderLoad,
  times: Map<string, { createdAt: number; finalAt: number | null }>,
  readiness: ReadinessWatch,
): FaultImpact[] {
  const accepted = load.exchanges
    .filter((e) => e.status === 202)
    .map((e) => e.endedAt)
    .sort((a, b) => a - b);
  const kinds = [...new Set(faults.map((f) => f.kind))];
  return kinds.map((kind) => {
    const own = faults.filter((f) => f.kind === kind);
    const toFinal: number[] = [];
    let ordersDuring = 0;
    let gap = 0;
    const slow: number[] = [];
    let othersNotReady = 0;
    let longestNotReadyMs = 0;
    for (const f of own) {
      const others = [...readiness.notReadyWithin(f.startedAt, f.healedAt)].filter(([name, ms]) => ms > 0 && name !== f.target);
      othersNotReady = Math.max(othersNotReady, others.length);
      longestNotReadyMs = Math.max(longestNotReadyMs, ...others.map(([, ms]) => ms));
      for (const p of load.placed) {
        if (!p.acked || p.placedAt < f.startedAt || p.placedAt > f.healedAt) continue;
        ordersDuring++;
        const t = times.get(p.orderId!);
        if (t?.finalAt) toFinal.push(t.finalAt - t.createdAt);
      }
      gap = Math.max(gap, longestGap(accepted, f.startedAt, f.healedAt));
      for (const e of load.exchanges as Exchange[])
        if (e.status === 202 && e.startedAt >= f.startedAt && e.startedAt <= f.healedAt) slow.push(e.endedAt - e.startedAt);
    }
    return {
      kind,
      faults: own.length,
      ordersDuring,
      toFinalP50Ms: toFinal.length ? Math.round(median(toFinal)) : null,
      toFinalMaxMs: toFinal.length ? Math.round(Math.max(...toFinal)) : null,
      longestIntakeGapMs: Math.round(gap),
      slowestAcceptedMs: slow.length ? Math.round(Math.max(...slow)) : null,
      othersNotReady,
      longestNotReadyMs,
    };
  });
}

function baselineOf(faults: FaultRecord[], load: OrderLoad, times: Map<string, { createdAt: number; finalAt: number | null }>) {
  const inFault = (t: number) => faults.some((f) => t >= f.startedAt - 1000 && t <= f.healedAt + 5000);
  const toFinal = load.placed
    .filter((p) => p.acked && !inFault(p.placedAt))
    .map((p) => times.get(p.orderId!))
    .filter((t): t is { createdAt: number; finalAt: number } => !!t?.finalAt)
    .map((t) => t.finalAt - t.createdAt);
  return {
    toFinalP50Ms: toFinal.length ? Math.round(median(toFinal)) : null,
    toFinalP99Ms: toFinal.length ? Math.round(percentile(toFinal, 99)) : null,
  };
}

const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`[chaos] ${m}\n`));
  const replicas = o.replicas ?? 2;
  const adminToken = randomBytes(18).toString('base64url');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-chaos-'));
  log(`seed ${o.seed}, ${o.seconds}s of load at ${o.rate} orders/s; the run's folder: ${dir}`);
  const plan = planFaults(o.seed, {
    seconds: o.seconds,
    services: SERVICES,
    replicas,
    topics: Object.values(Topics),
    partitions: 6,
    nodes: 3,
    freezeMs: FREEZE_MS,
  });
  log(
    `${plan.length} faults planned: ${Object.entries(countBy(plan.map((f) => f.kind)))
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
  );
  const system = new ChaosSystem({ dir, replicas, adminToken, log });
  let passed = false;
  const stopOnSignal = () => {
    log('interrupted: stopping everything');
    void system.stop({ keep: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await system.start();
  } catch (err) {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    await system.stop({ keep: true });
    log(`logs and data kept in ${dir}`);
    throw err;
  }
  try {
    const initialStock = await stock(system, adminToken);
    const load = new OrderLoad({ seed: o.seed, rate: o.rate, seconds: o.seconds, urls: system.replicasOf('orders').map((n) => system.url(n)) });
    const readiness = new ReadinessWatch(system);
    readiness.start();
    const t0 = Date.now();
    let loadDone = false;
    const loadRun = load
      .run((sent) => log(`t=${Math.round((Date.now() - t0) / 1000)}s: ${sent} orders sent, ${load.placed.filter((p) => p.acked).length} accepted`))
      .catch((err: Error) => void load.surprises.push(`the load stopped: ${err.message}`))
      .finally(() => (loadDone = true));
    const faults = await runFaults(system, plan, t0, log, () => loadDone);
    await loadRun;
    readiness.stop();
    log(`load done: ${load.placed.length} orders sent, ${load.placed.filter((p) => p.acked).length} accepted; ${faults.length} faults injected`);

    const q0 = Date.now();
    const { settled, deadLetters } = await quiesce(system, log, o.quiesceTimeoutMs ?? 300_000);
    const quiesceMs = Date.now() - q0;
    const observation = await collect({
      placed: load.placed,
      initialStock,
      databaseUrls: { orders: system.databaseUrl('orders'), inventory: system.databaseUrl('inventory'), shipping: system.databaseUrl('shipping') },
      brokers: system.brokers,
      topicPrefix: '',
      skus: Object.keys(initialStock),
    });
    const verdict = check(observation);
    const times = await orderTimes(system);
    const impact = impactOf(faults, load, times, readiness);
    const baseline = baselineOf(faults, load, times);

    const resultLine =
      `RESULT faults=${faults.length} orders=${verdict.orders} lost=${verdict.lost} duplicated=${verdict.duplicated} ` +
      `unfinished=${verdict.unfinished} reordered=${verdict.reordered} conserved=${verdict.conserved} seed=${o.seed}`;
    const failedFaults = faults.filter((f) => f.error);
    // the run asks for nothing a valid order can fail at (no deadline within it, stock enough, served countries):
    // an order ended otherwise than its intent, but for a cancel that came too late, is the system giving up
    const intentOf = new Map(observation.placed.filter((p) => p.orderId).map((p) => [p.orderId!, p.intent]));
    const systemOutcomes = verdict.findings
      .filter((f) => f.kind === 'unexpected-outcome' && intentOf.get(f.orderId ?? '') !== 'cancel')
      .map((f) => `${f.orderId} ${f.detail}`);
    passed =
      verdict.lost + verdict.duplicated + verdict.unfinished + verdict.reordered === 0 &&
      verdict.conserved &&
      settled &&
      deadLetters === 0 &&
      systemOutcomes.length === 0 &&
      load.surprises.length === 0;
    const resultFile = writeResult('chaos', {
      date: new Date().toISOString(),
      machine: machine(),
      seed: o.seed,
      seconds: o.seconds,
      rate: o.rate,
      replicas,
      kafkaNodes: 3,
      verdict: { ...verdict, findings: verdict.findings.slice(0, 200) },
      faults,
      impact,
      baseline,
      surprises: load.surprises.slice(0, 50),
      quiesceMs,
      settled,
      deadLetters,
      systemOutcomes: systemOutcomes.slice(0, 50),
      result: resultLine,
    });
    const out = (s = '') => process.stdout.write(`${s}\n`);
    out();
    out('Faults');
    out(
      table([
        ['kind', 'count', 'failed', 'orders during', 'to final p50', 'to final max', 'longest intake gap', 'slowest 202', 'others not ready'],
        ...impact.map((i) => [
          i.kind,
          i.faults,
          faults.filter((f) => f.kind === i.kind && f.error).length,
          i.ordersDuring,
          secs(i.toFinalP50Ms),
          secs(i.toFinalMaxMs),
          secs(i.longestIntakeGapMs),
          secs(i.slowestAcceptedMs),
          i.othersNotReady ? `${i.othersNotReady} (up to ${secs(i.longestNotReadyMs)})` : '0',
        ]),
      ]),
    );
    out(`Orders placed outside faults: to final p50 ${secs(baseline.toFinalP50Ms)}, p99 ${secs(baseline.toFinalP99Ms)}`);
    out();
    out('Outcomes of the accepted orders');
    out(table([['status', 'orders'], ...Object.entries(verdict.outcomes).map(([k, v]) => [k, v])]));
    out(`redelivered events (read twice, applied once): ${verdict.redelivered}; legal but unexpected outcomes: ${verdict.unexpected}`);
    out(settled ? `settled ${secs(quiesceMs)} after the load` : `NOT SETTLED ${secs(quiesceMs)} after the load`);
    out(`dead letters: ${deadLetters}; orders the system ended otherwise than asked: ${systemOutcomes.length}`);
    for (const s of systemOutcomes.slice(0, 10)) out(`  ${s}`);
    for (const f of failedFaults) out(`fault ${f.n} (${f.kind} ${f.target}) could not be carried out: ${f.error}`);
    for (const s of load.surprises.slice(0, 10)) out(`unexpected answer: ${s}`);
    for (const f of verdict.findings.slice(0, 20)) out(`${f.kind}: ${f.orderId ?? f.sku ?? ''} ${f.detail}`);
    if (verdict.findings.length > 20) out(`... ${verdict.findings.length - 20} more findings in ${resultFile}`);
    out(`results: ${resultFile}`);
    out(resultLine);
    return {
      seed: o.seed,
      seconds: o.seconds,
      rate: o.rate,
      verdict,
      faults,
      impact,
      baseline,
      surprises: load.surprises,
      quiesceMs,
      settled,
      deadLetters,
      systemOutcomes,
      resultLine,
      passed,
      resultFile,
    };
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    const keep = o.keep || !passed;
    await system.stop({ keep });
    if (keep) log(`logs and data kept in ${dir}`);
  }
}

function countBy(items: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of items) counts[i] = (counts[i] ?? 0) + 1;
  return counts;
}

async function main(): Promise<void> {
  let options: ChaosOptions;
  try {
    options = {
      seconds: positiveInt('CHAOS_SECONDS', 300, 30),
      seed: parseSeed(process.env.CHAOS_SEED, () => randomBytes(4).readUInt32BE(0)),
      rate: positiveInt('CHAOS_RATE', 10),
      keep: process.env.CHAOS_KEEP === '1',
    };
  } catch (err) {
    process.stderr.write(`chaos: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write('[chaos] building the apps (only what changed)\n');
  apps.buildApps();
  const result = await runChaos(options);
  process.exit(result.passed ? 0 : 1);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`chaos failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
