import { FINAL_STATUSES, Order, ORDER_STATUSES, OrderStatus } from '../../domain/order';
import type { OrderChange } from '../order-changes';
import type { ServiceStatus } from './service-status';

/** Orders the board lists: the ones changed last. */
export const RECENT_LIMIT = 50;

/** The sliding window of the board's rates and latency percentiles. */
export const WINDOW_SECONDS = 60;

export type FinalStatus = 'CONFIRMED' | 'REJECTED' | 'FAILED' | 'CANCELLED';

/** One order as the board lists it. */
export interface BoardOrder {
  id: string;
  status: OrderStatus;
  customerId: string;
  totalCents: number | null;
  currency: string | null;
  /** Why it ended where it did (REJECTED, FAILED, CANCELLED). */
  reason: string | null;
  placedAt: number;
  changedAt: number;
  traceId: string | null;
  /** The board's change number: the client keeps the highest per order and lists the newest first. */
  seq: number;
}

export interface LatencyPercentiles {
  /** Orders that reached a final state in the window. */
  count: number;
  /** Seconds from placed to final; null while count is 0. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** Orders PENDING and RESERVED in the whole database, as read last (every replica's). */
export interface InFlightCounts {
  PENDING: number;
  RESERVED: number;
  /** Counting stops at this many per status (the page shows "10000+"): the query stays cheap during a backlog. */
  cap: number;
  readAt: number;
}

/** What the board pushes: a whole snapshot when a browser connects, then updates holding only what changed in `recent`. */
export interface BoardSnapshot {
  at: number;
  /** The highest change number in it. */
  seq: number;
  /** `recent` is the whole list (replace), not only the orders changed since the last push (merge). */
  full: boolean;
  /** null until first read. */
  inFlight: InFlightCounts | null;
  lastMinute: { placed: number; ended: Record<FinalStatus, number>; latency: LatencyPercentiles };
  /** Orders this replica placed or moved to each status since it started. */
  sinceStart: Record<OrderStatus, number>;
  services: ServiceStatus[];
  recent: BoardOrder[];
}

/**
 * Placed-to-final latencies, bucketed: 8 buckets to a doubling from 1 ms up to about 70 minutes, so that a
 * recorded value reads back within 5% (the geometric middle of its bucket) and a second of the window is a
 * fixed array, whatever the rate.
 */
const STEPS_PER_DOUBLING = 8;
const DOUBLINGS = 22;
const BUCKETS = STEPS_PER_DOUBLING * DOUBLINGS + 2; // + under 1 ms, + beyond the last

export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(ms) * STEPS_PER_DOUBLING));
}

/** Seconds a bucket stands for: its geometric middle (under 1 ms reads as 1 ms; beyond the last, as its start). */
export function bucketSeconds(bucket: number): number {
  if (bucket === 0) return 0.001;
  const steps = bucket === BUCKETS - 1 ? bucket - 1 : bucket - 0.5;
  return 2 ** (steps / STEPS_PER_DOUBLING) / 1000;
}

const FINAL_INDEX = new Map<OrderStatus, number>(FINAL_STATUSES.map((s, i) => [s, i]));

/** One second of the window. */
interface Second {
  second: number;
  placed: number;
  /** By FINAL_STATUSES' order. */
  ended: number[];
  latency: Uint32Array;
}

/** Orders placed and ended, and their latencies, over the last WINDOW_SECONDS, in one-second slots reused in a ring. */
export class MinuteWindow {
  private readonly slots: Second[] = Array.from({ length: WINDOW_SECONDS }, () => ({
    second: -1,
    placed: 0,
    ended: FINAL_STATUSES.map(() => 0),
    latency: new Uint32Array(BUCKETS),
  }));

  placed(at: number): void {
    this.slot(at).placed++;
  }

  ended(at: number, status: OrderStatus, placedToFinalMs: number): void {
    const i = FINAL_INDEX.get(status);
    if (i === undefined) return;
    const slot = this.slot(at);
    slot.ended[i]++;
    slot.latency[latencyBucket(placedToFinalMs)]++;
  }

  /** The seconds (now - WINDOW_SECONDS, now] added up. */
  read(now: number): BoardSnapshot['lastMinute'] {
    const current = Math.floor(now / 1000);
    const ended = FINAL_STATUSES.map(() => 0);
    const latency = new Uint32Array(BUCKETS);
    let placed = 0;
    for (const slot of this.slots) {
      if (slot.second <= current - WINDOW_SECONDS || slot.second > current) continue;
      placed += slot.placed;
      slot.ended.forEach((n, i) => (ended[i] += n));
      for (let b = 0; b < BUCKETS; b++) latency[b] += slot.latency[b];
    }
    return {
      placed,
      ended: Object.fromEntries(FINAL_STATUSES.map((s, i) => [s, ended[i]])) as Record<FinalStatus, number>,
      latency: percentiles(latency),
    };
  }

  private slot(at: number): Second {
    const second = Math.floor(at / 1000);
    const slot = this.slots[second % WINDOW_SECONDS];
    if (slot.second !== second) {
      slot.second = second;
      slot.placed = 0;
      slot.ended.fill(0);
      slot.latency.fill(0);
    }
    return slot;
  }
}

/** Nearest-rank percentiles of a bucketed distribution, and its highest bucket. */
export function percentiles(buckets: Uint32Array): LatencyPercentiles {
  let count = 0;
  let top = 0;
  buckets.forEach((n, b) => {
    count += n;
    if (n > 0) top = b;
  });
  if (count === 0) return { count, p50: null, p90: null, p99: null, max: null };
  const at = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (let b = 0; b < buckets.length; b++) {
      seen += buckets[b];
      if (seen >= rank) return bucketSeconds(b);
    }
    return bucketSeconds(buckets.length - 1);
  };
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: bucketSeconds(top) };
}

/** A change kept for the list: the order itself, turned into a BoardOrder only when the list is sent. */
interface Recent {
  order: Order;
  seq: number;
  changedAt: number;
}

/** The RECENT_LIMIT orders changed last, each once (its latest state), oldest change first. */
export class RecentOrders {
  private readonly byId = new Map<string, Recent>();

  constructor(private readonly limit = RECENT_LIMIT) {}

  put(order: Order, seq: number, changedAt: number): void {
    this.byId.delete(order.id); // re-inserted: a Map iterates in insertion order
    this.byId.set(order.id, { order, seq, changedAt });
    if (this.byId.size > this.limit) this.byId.delete(this.byId.keys().next().value!);
  }

  /** Newest first; with `since`, only the orders changed after that change number. */
  list(since = 0): BoardOrder[] {
    const out: BoardOrder[] = [];
    for (const r of this.byId.values()) if (r.seq > since) out.push(toBoardOrder(r));
    return out.reverse();
  }

  get size(): number {
    return this.byId.size;
  }
}

function toBoardOrder({ order, seq, changedAt }: Recent): BoardOrder {
  return {
    id: order.id,
    status: order.status,
    customerId: order.customerId,
    totalCents: order.totalCents,
    currency: order.currency,
    reason: order.statusReason,
    placedAt: order.createdAt.getTime(),
    changedAt,
    traceId: order.traceId ?? null,
    seq,
  };
}

/**
 * What one replica's board knows: the changes it committed (the list, the window, the totals since it started),
 * the database-wide in-flight counts and the services' backlog and lag it was last told. Pure: time comes in as
 * arguments, so the specs drive it.
 */
export class BoardState {
  private seq = 0;
  private readonly recent = new RecentOrders();
  private readonly window = new MinuteWindow();
  private readonly totals = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  inFlight: InFlightCounts | null = null;
  services: ServiceStatus[] = [];

  apply(changes: readonly OrderChange[], now: number): void {
    for (const { order, before } of changes) {
      this.recent.put(order, ++this.seq, now);
      if (before === order.status) continue; // facts added, no move
      this.totals[order.status]++;
      if (before === null) this.window.placed(now);
      else if (FINAL_INDEX.has(order.status) && !FINAL_INDEX.has(before)) this.window.ended(now, order.status, now - order.createdAt.getTime());
    }
  }

  /** Everything, the whole list included (`full`); with `since`, only the orders changed after that change number. */
  snapshot(now: number, since?: number): BoardSnapshot {
    return {
      at: now,
      seq: this.seq,
      full: since === undefined,
      inFlight: this.inFlight,
      lastMinute: this.window.read(now),
      sinceStart: { ...this.totals },
      services: this.services,
      recent: this.recent.list(since),
    };
  }

  get lastSeq(): number {
    return this.seq;
  }
}
