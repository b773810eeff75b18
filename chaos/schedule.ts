/**
 * The faults of a chaos run, planned up front from a seed: the same seed and length give the same faults,
 * targets and pauses, so a failing run can be replayed. Pure.
 */

export type FaultKind =
  | 'kill-app' // kill -9 of one replica of a service, started again after `downMs`
  | 'kill-relay' // kill -9 of the relay-only instance, started again after `downMs`
  | 'kill-leader' // kill -9 of the broker leading a partition, started again after `downMs`
  | 'freeze-broker' // SIGSTOP of a broker for `downMs` (longer than the session timeouts), then SIGCONT
  | 'restart-postgres' // PostgreSQL stopped (fast shutdown: sessions cut) and started after `downMs`
  | 'read-only-db'; // one service's database refuses writes for `downMs`

export const FAULT_KINDS: readonly FaultKind[] = ['kill-app', 'kill-relay', 'kill-leader', 'freeze-broker', 'restart-postgres', 'read-only-db'];

export interface PlannedFault {
  /** Ordinal, from 1. */
  n: number;
  /** When to inject, from the start of the load. A fault still healing delays the next one. */
  atMs: number;
  kind: FaultKind;
  /** kill-app: 'orders#1' etc.; kill-leader: 'orders.events/2' (the partition whose leader dies); freeze-broker: node id; read-only-db: service. */
  target: string;
  downMs: number;
}

export interface ScheduleOptions {
  seconds: number;
  services: readonly string[];
  replicas: number;
  topics: readonly string[];
  partitions: number;
  nodes: number;
  /** A frozen broker stays frozen this long: longer than the broker and consumer session timeouts. */
  freezeMs: number;
  /** The load's last part runs without faults, so that every fault's effects are behind it when the load stops. */
  quietTailMs?: number;
}

/** A small, fast PRNG (mulberry32): deterministic for a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Parses a seed given by a person: a whole number 0..2^32-1. */
export function parseSeed(raw: string | undefined, fallback: () => number): number {
  if (raw === undefined || raw === '') return fallback();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`CHAOS_SEED must be a whole number from 0 to ${0xffffffff}, not "${raw}"`);
  return n;
}

/** How likely each kind is: app and broker faults are what replicas and a cluster are for. */
const WEIGHTS: Record<FaultKind, number> = {
  'kill-app': 3,
  'kill-relay': 1,
  'kill-leader': 2,
  'freeze-broker': 1,
  'restart-postgres': 1,
  'read-only-db': 1,
};

function between(rnd: () => number, lo: number, hi: number): number {
  return Math.round(lo + rnd() * (hi - lo));
}

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)];
}

function pickKind(rnd: () => number, previous: FaultKind | undefined): FaultKind {
  // never the same infrastructure fault twice in a row: a second broker kill while the first's replicas
  // catch up is a test of availability (min.insync.replicas), not of what this run checks
  const kinds = FAULT_KINDS.filter((k) => k === 'kill-app' || k !== previous);
  const total = kinds.reduce((s, k) => s + WEIGHTS[k], 0);
  let r = rnd() * total;
  for (const k of kinds) {
    r -= WEIGHTS[k];
    if (r < 0) return k;
  }
  return kinds[kinds.length - 1];
}

/** The run's faults: one every 3-7 s after the previous one's pause, none in the first 5 s or the quiet tail. */
export function planFaults(seed: number, o: ScheduleOptions): PlannedFault[] {
  const rnd = seededRandom(seed);
  const end = o.seconds * 1000 - (o.quietTailMs ?? 10_000);
  const faults: PlannedFault[] = [];
  let at = 5_000;
  let previous: FaultKind | undefined;
  while (at < end) {
    const kind = pickKind(rnd, previous);
    let target: string;
    let downMs: number;
    switch (kind) {
      case 'kill-app':
        target = `${pick(rnd, o.services)}#${1 + Math.floor(rnd() * o.replicas)}`;
        downMs = between(rnd, 500, 3_000);
        break;
      case 'kill-relay':
        target = 'relay';
        downMs = between(rnd, 500, 3_000);
        break;
      case 'kill-leader':
        target = `${pick(rnd, o.topics)}/${Math.floor(rnd() * o.partitions)}`;
        downMs = between(rnd, 1_000, 6_000);
        break;
      case 'freeze-broker':
        target = String(1 + Math.floor(rnd() * o.nodes));
        downMs = o.freezeMs + between(rnd, 0, 2_000);
        break;
      case 'restart-postgres':
        target = 'postgres';
        downMs = between(rnd, 1_000, 5_000);
        break;
      case 'read-only-db':
        target = pick(rnd, o.services);
        downMs = between(rnd, 3_000, 8_000);
        break;
    }
    faults.push({ n: faults.length + 1, atMs: at, kind, target, downMs });
    previous = kind;
    at += downMs + between(rnd, 3_000, 7_000);
  }
  return faults;
}
