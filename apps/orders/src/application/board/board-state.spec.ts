import type { Order, OrderStatus } from '../../domain/order';
import type { OrderChange } from '../order-changes';
import { BoardState, bucketSeconds, latencyBucket, MinuteWindow, percentiles, RECENT_LIMIT, RecentOrders, WINDOW_SECONDS } from './board-state';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function order(id: string, status: OrderStatus, placedAt = T0, more: Partial<Order> = {}): Order {
  return {
    id,
    customerId: `c-${id}`,
    status,
    lines: [{ sku: 'SKU-1', quantity: 1 }],
    shippingAddress: { name: 'N', line1: 'L', city: 'C', postalCode: 'P', country: 'DE' },
    totalCents: 1500,
    currency: 'EUR',
    shipment: null,
    statusReason: null,
    correlationId: `corr-${id}`,
    createdAt: new Date(placedAt),
    updatedAt: new Date(placedAt),
    ...more,
  };
}

const placed = (o: Order): OrderChange => ({ order: o, before: null });
const moved = (before: OrderStatus, o: Order): OrderChange => ({ order: o, before });

describe('latency buckets', () => {
  it('read a value back within 5%, from 1 ms to an hour', () => {
    for (const ms of [1, 1.7, 3, 12, 99, 250, 1000, 4321, 60_000, 3_600_000]) {
      const read = bucketSeconds(latencyBucket(ms)) * 1000;
      expect(Math.abs(read - ms) / ms).toBeLessThan(0.05);
    }
  });

  it('put what is under 1 ms in the first bucket and beyond the range in the last', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.4)).toBe(0);
    expect(bucketSeconds(0)).toBe(0.001);
    expect(latencyBucket(10 * 3_600_000)).toBe(latencyBucket(100 * 3_600_000));
  });
});

describe('percentiles', () => {
  it('are null with nothing recorded', () => {
    expect(percentiles(new Uint32Array(200))).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
  });

  it('take the nearest rank', () => {
    const buckets = new Uint32Array(200);
    // 100 latencies: 1..100 ms
    for (let ms = 1; ms <= 100; ms++) buckets[latencyBucket(ms)]++;
    const p = percentiles(buckets);
    expect(p.count).toBe(100);
    expect(p.p50! * 1000).toBeCloseTo(50, -1);
    expect(Math.abs(p.p90! * 1000 - 90) / 90).toBeLessThan(0.05);
    expect(Math.abs(p.p99! * 1000 - 99) / 99).toBeLessThan(0.05);
    expect(Math.abs(p.max! * 1000 - 100) / 100).toBeLessThan(0.05);
  });
});

describe('MinuteWindow', () => {
  it('adds up the last minute and forgets what is older', () => {
    const w = new MinuteWindow();
    w.placed(T0);
    w.ended(T0 + 500, 'CONFIRMED', 200);
    w.placed(T0 + 30_000);
    w.ended(T0 + 30_000, 'REJECTED', 40);
    w.ended(T0 + 30_000, 'PENDING', 10); // not a final status: ignored

    const at30 = w.read(T0 + 30_000);
    expect(at30.placed).toBe(2);
    expect(at30.ended).toEqual({ CONFIRMED: 1, REJECTED: 1, FAILED: 0, CANCELLED: 0 });
    expect(at30.latency.count).toBe(2);

    // the first second has left the window, the 30th not yet
    const at60 = w.read(T0 + WINDOW_SECONDS * 1000);
    expect(at60.placed).toBe(1);
    expect(at60.ended.CONFIRMED).toBe(0);
    expect(at60.latency.count).toBe(1);
    expect(Math.abs(at60.latency.p50! - 0.04) / 0.04).toBeLessThan(0.05);

    expect(w.read(T0 + 200_000).placed).toBe(0);
  });

  it('reuses a slot a minute later instead of adding to it', () => {
    const w = new MinuteWindow();
    w.placed(T0);
    w.placed(T0 + WINDOW_SECONDS * 1000); // same slot of the ring, a minute on
    expect(w.read(T0 + WINDOW_SECONDS * 1000).placed).toBe(1);
  });
});

describe('RecentOrders', () => {
  it('keeps the orders changed last, each once, newest first', () => {
    const recent = new RecentOrders(3);
    recent.put(order('a', 'PENDING'), 1, T0);
    recent.put(order('b', 'PENDING'), 2, T0);
    recent.put(order('a', 'RESERVED'), 3, T0);
    recent.put(order('c', 'PENDING'), 4, T0);
    recent.put(order('d', 'PENDING'), 5, T0); // b, changed longest ago, goes
    expect(recent.size).toBe(3);
    expect(recent.list().map((o) => `${o.id}:${o.status}`)).toEqual(['d:PENDING', 'c:PENDING', 'a:RESERVED']);
    expect(recent.list(3).map((o) => o.id)).toEqual(['d', 'c']);
    expect(recent.list(5)).toEqual([]);
  });
});

describe('BoardState', () => {
  it('turns committed changes into the list, the window and the totals', () => {
    const board = new BoardState();
    const a = order('a', 'PENDING', T0, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    board.apply([placed(a), placed(order('b', 'PENDING'))], T0);
    board.apply([moved('PENDING', { ...a, status: 'RESERVED' })], T0 + 40);
    board.apply([moved('RESERVED', { ...a, status: 'CONFIRMED' })], T0 + 120);
    board.apply([moved('PENDING', order('b', 'REJECTED', T0, { statusReason: 'out of stock' }))], T0 + 60);
    // a later event adds a fact without moving the order: listed again, counted nowhere
    board.apply([moved('CONFIRMED', { ...a, status: 'CONFIRMED' })], T0 + 150);

    const s = board.snapshot(T0 + 200);
    expect(s.full).toBe(true);
    expect(s.seq).toBe(6);
    expect(s.sinceStart).toEqual({ PENDING: 2, RESERVED: 1, CONFIRMED: 1, REJECTED: 1, FAILED: 0, CANCELLED: 0 });
    expect(s.lastMinute.placed).toBe(2);
    expect(s.lastMinute.ended).toEqual({ CONFIRMED: 1, REJECTED: 1, FAILED: 0, CANCELLED: 0 });
    expect(s.lastMinute.latency.count).toBe(2);
    expect(Math.abs(s.lastMinute.latency.p99! - 0.12) / 0.12).toBeLessThan(0.05);
    expect(s.recent).toEqual([
      {
        id: 'a',
        status: 'CONFIRMED',
        customerId: 'c-a',
        totalCents: 1500,
        currency: 'EUR',
        reason: null,
        placedAt: T0,
        changedAt: T0 + 150,
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        seq: 6,
      },
      expect.objectContaining({ id: 'b', status: 'REJECTED', reason: 'out of stock', traceId: null, seq: 5 }),
    ]);
    expect(s.inFlight).toBeNull();
    expect(s.services).toEqual([]);
  });

  it('updates carry only the orders changed since the last push, and never more than the list holds', () => {
    const board = new BoardState();
    for (let i = 0; i < 3 * RECENT_LIMIT; i++) board.apply([placed(order(`o${i}`, 'PENDING'))], T0);
    const first = board.snapshot(T0);
    expect(first.recent).toHaveLength(RECENT_LIMIT);
    expect(first.recent[0].id).toBe(`o${3 * RECENT_LIMIT - 1}`);

    board.apply([moved('PENDING', order('o149', 'RESERVED'))], T0 + 10);
    const update = board.snapshot(T0 + 10, first.seq);
    expect(update.full).toBe(false);
    expect(update.recent.map((o) => `${o.id}:${o.status}`)).toEqual(['o149:RESERVED']);
    expect(board.snapshot(T0 + 20, update.seq).recent).toEqual([]);
  });
});
