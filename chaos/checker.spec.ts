import { randomUUID } from 'node:crypto';
import { check } from './checker';
import { Intent, Observation, OrderLine, TopicEvent, Verdict } from './model';

/**
 * Builds the observation of a run in which every order went through the saga as the services take it: each
 * scenario writes what the orders, inventory and shipping databases and the three topics end up holding.
 */
class RunBuilder {
  private readonly o: Observation;
  private readonly offsets = new Map<string, number>();
  private timelineId = 0;

  constructor(stock: Record<string, number> = { 'SKU-A': 100, 'SKU-B': 40 }) {
    this.o = { placed: [], initialStock: { ...stock }, addedStock: {}, orders: [], timeline: [], products: [], reservations: [], shipments: [], events: [] };
  }

  /** Reserved, scheduled, confirmed; the shipment read by orders first when `shipmentFirst`. */
  confirmed({
    intent = 'confirm',
    lines = [{ sku: 'SKU-A', quantity: 2 }],
    shipmentFirst = false,
    cancelStatus,
  }: { intent?: Intent; lines?: OrderLine[]; shipmentFirst?: boolean; cancelStatus?: number } = {}): string {
    const id = this.place(intent, lines, cancelStatus);
    const reserved = this.emit('inventory.events', id, 'StockReserved');
    const shipmentId = randomUUID();
    const scheduled = this.emit('shipping.events', id, 'ShipmentScheduled');
    if (shipmentFirst) {
      this.record(id, scheduled, 'ShipmentScheduled', 'CONFIRMED');
      this.record(id, reserved, 'StockReserved', 'CONFIRMED');
    } else {
      this.record(id, reserved, 'StockReserved', 'RESERVED');
      this.record(id, scheduled, 'ShipmentScheduled', 'CONFIRMED');
    }
    this.o.reservations.push({ orderId: id, status: 'SHIPPED', lines, shipmentId });
    this.o.shipments.push({ id: shipmentId, orderId: id, status: 'SCHEDULED' });
    this.o.orders.push({ id, status: 'CONFIRMED', lines, statusReason: null, shipmentStatus: 'SCHEDULED', shipmentId });
    return id;
  }

  /** More units than there are: rejected. */
  rejected(): string {
    const lines = [{ sku: 'SKU-B', quantity: 1000 }];
    const id = this.place('reject', lines);
    this.record(id, this.emit('inventory.events', id, 'StockRejected'), 'StockRejected', 'REJECTED');
    this.o.reservations.push({ orderId: id, status: 'REJECTED', lines: [] });
    this.o.orders.push({ id, status: 'REJECTED', lines, statusReason: 'SKU-B: OUT_OF_STOCK', shipmentStatus: null });
    return id;
  }

  /** Reserved, then an unserved country: the shipment fails and inventory releases the units. */
  failed(): string {
    const lines = [{ sku: 'SKU-B', quantity: 3 }];
    const id = this.place('fail', lines);
    this.record(id, this.emit('inventory.events', id, 'StockReserved'), 'StockReserved', 'RESERVED');
    this.record(id, this.emit('shipping.events', id, 'ShipmentFailed'), 'ShipmentFailed', 'FAILED');
    this.emit('inventory.events', id, 'StockReleased');
    this.o.reservations.push({ orderId: id, status: 'RELEASED', lines });
    this.o.shipments.push({ id: randomUUID(), orderId: id, status: 'FAILED' });
    this.o.orders.push({ id, status: 'FAILED', lines, statusReason: 'DESTINATION_NOT_SERVED: no', shipmentStatus: null });
    return id;
  }

  /** Cancelled (200) while PENDING: inventory reserves, then releases; orders ignores the late reservation. */
  cancelledEarly(): string {
    const lines = [{ sku: 'SKU-A', quantity: 1 }];
    const id = this.place('cancel', lines, 200);
    this.record(id, this.emit('orders.events', id, 'OrderCancelled'), 'OrderCancelled', 'CANCELLED');
    this.emit('inventory.events', id, 'StockReserved');
    this.emit('inventory.events', id, 'StockReleased');
    this.o.reservations.push({ orderId: id, status: 'RELEASED', lines });
    this.o.orders.push({ id, status: 'CANCELLED', lines, statusReason: 'cancelled by customer', shipmentStatus: null });
    return id;
  }

  /** Cancelled (200) while RESERVED as shipping scheduled it: the shipment is cancelled, its units return. */
  cancelledAfterScheduling(): string {
    const lines = [
      { sku: 'SKU-A', quantity: 1 },
      { sku: 'SKU-B', quantity: 2 },
    ];
    const id = this.place('cancel', lines, 200);
    const shipmentId = randomUUID();
    this.record(id, this.emit('inventory.events', id, 'StockReserved'), 'StockReserved', 'RESERVED');
    this.record(id, this.emit('orders.events', id, 'OrderCancelled'), 'OrderCancelled', 'CANCELLED');
    this.record(id, this.emit('shipping.events', id, 'ShipmentScheduled'), 'ShipmentScheduled', 'CANCELLED');
    this.record(id, this.emit('shipping.events', id, 'ShipmentCancelled'), 'ShipmentCancelled', 'CANCELLED');
    this.emit('inventory.events', id, 'StockReleased');
    this.o.reservations.push({ orderId: id, status: 'RELEASED', lines, shipmentId });
    this.o.shipments.push({ id: shipmentId, orderId: id, status: 'CANCELLED' });
    this.o.orders.push({ id, status: 'CANCELLED', lines, statusReason: 'cancelled by customer', shipmentStatus: 'CANCELLED', shipmentId });
    return id;
  }

  /** Inventory dead-lettered OrderPlaced; the watcher cancelled the order; inventory recorded an empty release. */
  cancelledBySystem(): string {
    const lines = [{ sku: 'SKU-A', quantity: 1 }];
    const id = this.place('confirm', lines);
    this.record(id, this.emit('orders.events', id, 'OrderCancelled'), 'OrderCancelled', 'CANCELLED');
    this.o.reservations.push({ orderId: id, status: 'RELEASED', lines: [] });
    this.o.orders.push({
      id,
      status: 'CANCELLED',
      lines,
      statusReason: 'inventory could not process OrderPlaced (HANDLER_FAILED); cancelled by the system',
      shipmentStatus: null,
    });
    return id;
  }

  /** A request whose answer never came: with `exists`, it was committed (and confirmed) all the same. */
  unanswered(exists: boolean): string | null {
    if (!exists) {
      this.o.placed.push({ orderId: null, idempotencyKey: randomUUID(), intent: 'confirm', lines: [{ sku: 'SKU-A', quantity: 1 }], acked: false, placedAt: 0 });
      return null;
    }
    const id = this.confirmed({ lines: [{ sku: 'SKU-A', quantity: 1 }] });
    this.o.placed.at(-1)!.acked = false;
    return id;
  }

  /** The observation, with the products' counters as the reservations leave them; a copy to mutate. */
  build(): Observation {
    const o: Observation = structuredClone(this.o);
    o.products = Object.entries(o.initialStock).map(([sku, received]) => {
      const sum = (status: string) =>
        o.reservations.filter((r) => r.status === status).reduce((n, r) => n + r.lines.filter((l) => l.sku === sku).reduce((m, l) => m + l.quantity, 0), 0);
      const reserved = sum('RESERVED');
      const shipped = sum('SHIPPED');
      return { sku, available: received - reserved - shipped, reserved, shipped, received };
    });
    return o;
  }

  private place(intent: Intent, lines: OrderLine[], cancelStatus?: number): string {
    const id = randomUUID();
    this.o.placed.push({ orderId: id, idempotencyKey: randomUUID(), intent, lines, acked: true, placedAt: 0, ...(cancelStatus ? { cancelStatus } : {}) });
    this.record(id, this.emit('orders.events', id, 'OrderPlaced'), 'OrderPlaced', 'PENDING');
    return id;
  }

  private emit(topic: TopicEvent['topic'], orderId: string, type: string): string {
    const eventId = randomUUID();
    const partition = parseInt(orderId.slice(0, 2), 16) % 3;
    const at = `${topic}/${partition}`;
    const offset = this.offsets.get(at) ?? 0;
    this.offsets.set(at, offset + 1);
    this.o.events.push({ topic, partition, offset: String(offset), key: orderId, eventId, type, orderId });
    return eventId;
  }

  private record(orderId: string, eventId: string, type: string, status: string): void {
    this.o.timeline.push({ id: ++this.timelineId, orderId, eventId, type, status });
  }
}

/** A run of every legal path: confirmed (either topic read first), rejected, failed, cancelled early and late, unanswered. */
function cleanRun() {
  const run = new RunBuilder();
  const ids = {
    confirmed: run.confirmed(),
    shipmentFirst: run.confirmed({ shipmentFirst: true, lines: [{ sku: 'SKU-B', quantity: 1 }] }),
    rejected: run.rejected(),
    failed: run.failed(),
    cancelledEarly: run.cancelledEarly(),
    cancelledAfterScheduling: run.cancelledAfterScheduling(),
    unanswered: run.unanswered(true)!,
  };
  run.unanswered(false);
  return { run, ids, o: run.build() };
}

const eventOf = (o: Observation, orderId: string, type: string): TopicEvent => o.events.find((e) => e.orderId === orderId && e.type === type)!;
const without = <T>(rows: T[], drop: (row: T) => boolean): T[] => rows.filter((r) => !drop(r));

/** The counts of a verdict, and the kinds of its findings, for one-line expectations. */
const counts = (v: Verdict) => ({
  lost: v.lost,
  duplicated: v.duplicated,
  unfinished: v.unfinished,
  reordered: v.reordered,
  conserved: v.conserved,
  unexpected: v.unexpected,
});
const NONE = { lost: 0, duplicated: 0, unfinished: 0, reordered: 0, conserved: true, unexpected: 0 };

describe('check: a run in which the saga kept its guarantees', () => {
  it('passes with zeros, counting acked orders and their final statuses', () => {
    const v = check(cleanRun().o);
    expect(v).toEqual({ orders: 6, ...NONE, redelivered: 0, outcomes: { CONFIRMED: 2, REJECTED: 1, FAILED: 1, CANCELLED: 2 }, findings: [] });
  });

  it('counts a redelivery (one event id twice on a topic, e.g. a relay publishing a run again after a crash) and finds nothing wrong', () => {
    const { o, ids } = cleanRun();
    const copies = o.events.filter((e) => e.orderId === ids.cancelledEarly && e.topic === 'orders.events');
    expect(copies.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
    // the relay publishes OrderPlaced, OrderCancelled again, after both were on the log
    const last = Math.max(...o.events.filter((e) => e.topic === 'orders.events' && e.partition === copies[0].partition).map((e) => Number(e.offset)));
    copies.forEach((e, i) => o.events.push({ ...e, offset: String(last + 1 + i) }));
    const v = check(o);
    expect(v.redelivered).toBe(2);
    expect(counts(v)).toEqual(NONE);
  });

  it('leaves an unanswered request that never became an order unjudged, and judges one that did', () => {
    const { o, ids } = cleanRun();
    o.orders.find((r) => r.id === ids.unanswered)!.status = 'RESERVED';
    const v = check(o);
    expect(v.orders).toBe(6);
    expect(counts(v)).toEqual({ ...NONE, unfinished: 1, conserved: false });
    expect(v.findings).toContainEqual({ kind: 'unfinished', orderId: ids.unanswered, detail: expect.stringContaining('still RESERVED') });
  });
});

describe('check: lost', () => {
  it('an acked order missing from the orders database is lost, not also unfinished', () => {
    const { o, ids } = cleanRun();
    o.orders = without(o.orders, (r) => r.id === ids.rejected);
    o.timeline = without(o.timeline, (t) => t.orderId === ids.rejected);
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, lost: 1 });
    expect(v.outcomes).toEqual({ CONFIRMED: 2, MISSING: 1, FAILED: 1, CANCELLED: 2 });
    expect(v.findings).toEqual([{ kind: 'lost', orderId: ids.rejected, detail: 'acked (202) but not in the orders database' }]);
  });

  it('an OrderPlaced on the topic of an order the database does not have is lost, even without an answer', () => {
    const { o } = cleanRun();
    const stray = randomUUID();
    o.events.push({ topic: 'orders.events', partition: 0, offset: '999', key: stray, eventId: randomUUID(), type: 'OrderPlaced', orderId: stray });
    expect(counts(check(o))).toEqual({ ...NONE, lost: 1 });
  });

  it.each([
    ['confirmed', 'OrderPlaced'],
    ['confirmed', 'StockReserved'],
    ['confirmed', 'ShipmentScheduled'],
    ['rejected', 'StockRejected'],
    ['failed', 'ShipmentFailed'],
    ['failed', 'StockReleased'],
    ['cancelledEarly', 'OrderCancelled'],
    ['cancelledAfterScheduling', 'ShipmentCancelled'],
  ] as const)('a %s order without its %s on the topics is lost, once', (which, type) => {
    const { o, ids } = cleanRun();
    o.events = without(o.events, (e) => e.orderId === ids[which] && e.type === type);
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, lost: 1 });
    expect(v.findings).toEqual([{ kind: 'lost', orderId: ids[which], detail: expect.stringContaining(`no ${type} on`) }]);
  });

  it('an order whose cancel was answered 200 but that is CONFIRMED is lost, not an unexpected outcome', () => {
    const run = new RunBuilder();
    const id = run.confirmed({ intent: 'cancel', cancelStatus: 200 });
    const v = check(run.build());
    expect(counts(v)).toEqual({ ...NONE, lost: 1 });
    expect(v.findings).toEqual([{ kind: 'lost', orderId: id, detail: 'its cancel was answered 200, but it is CONFIRMED' }]);
  });

  it('a timeline entry whose event no topic holds is lost', () => {
    const { o, ids } = cleanRun();
    o.timeline.find((t) => t.orderId === ids.confirmed && t.type === 'StockReserved')!.eventId = randomUUID();
    expect(counts(check(o))).toEqual({ ...NONE, lost: 1 });
  });

  it('counts an order with several losses once, and lists them in one finding', () => {
    const { o, ids } = cleanRun();
    o.events = without(o.events, (e) => e.orderId === ids.confirmed && e.topic !== 'orders.events');
    const v = check(o);
    expect(v.lost).toBe(1);
    expect(v.findings).toHaveLength(1);
    expect(v.findings[0].detail).toMatch(/no StockReserved.*no ShipmentScheduled/);
  });
});

describe('check: unfinished', () => {
  it.each(['PENDING', 'RESERVED'])('an acked order still %s is unfinished', (status) => {
    const { o, ids } = cleanRun();
    o.orders.find((r) => r.id === ids.failed)!.status = status;
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, unfinished: 1 });
    expect(v.findings).toEqual([{ kind: 'unfinished', orderId: ids.failed, detail: `${status}: it is still ${status}` }]);
  });

  const reservation = (o: Observation, id: string) => o.reservations.find((r) => r.orderId === id)!;
  const unsettled: [keyof ReturnType<typeof cleanRun>['ids'], string, (o: Observation, id: string) => void, string][] = [
    ['confirmed', 'its reservation still RESERVED', (o, id) => (reservation(o, id).status = 'RESERVED'), 'reservation is RESERVED'],
    ['confirmed', 'no shipment', (o, id) => (o.shipments = without(o.shipments, (s) => s.orderId === id)), 'no SCHEDULED shipment'],
    ['failed', 'its reservation not released', (o, id) => (reservation(o, id).status = 'RESERVED'), 'not RELEASED'],
    ['rejected', 'units reserved', (o, id) => (reservation(o, id).status = 'RESERVED'), 'holding units'],
    ['cancelledAfterScheduling', 'shipped units not returned', (o, id) => (reservation(o, id).status = 'SHIPPED'), 'SHIPPED, holding units'],
    [
      'cancelledAfterScheduling',
      'its shipment still scheduled',
      (o, id) => (o.shipments.find((s) => s.orderId === id)!.status = 'SCHEDULED'),
      'still SCHEDULED',
    ],
    [
      'cancelledAfterScheduling',
      "the order's record of the shipment not cancelled",
      (o, id) => (o.orders.find((r) => r.id === id)!.shipmentStatus = 'SCHEDULED'),
      "order's shipment is still SCHEDULED",
    ],
  ];
  it.each(unsettled)('a %s order with %s is unfinished, once', (which, _what, mutate, detail) => {
    const { o, ids } = cleanRun();
    mutate(o, ids[which]);
    const v = check(o);
    expect(v.unfinished).toBe(1);
    expect(v.lost + v.duplicated + v.reordered).toBe(0);
    expect(v.findings.filter((f) => f.kind === 'unfinished')).toEqual([{ kind: 'unfinished', orderId: ids[which], detail: expect.stringContaining(detail) }]);
  });

  it('a cancelled order whose reservation is REJECTED, or absent, holds nothing and is settled', () => {
    const { o, ids } = cleanRun();
    o.reservations = without(o.reservations, (r) => r.orderId === ids.cancelledEarly);
    o.events = without(o.events, (e) => e.orderId === ids.cancelledEarly && e.topic === 'inventory.events');
    o.reservations.find((r) => r.orderId === ids.cancelledAfterScheduling)!.status = 'REJECTED';
    o.reservations.find((r) => r.orderId === ids.cancelledAfterScheduling)!.lines = [];
    o.events = without(o.events, (e) => e.orderId === ids.cancelledAfterScheduling && e.type === 'StockReleased');
    o.events.find((e) => e.orderId === ids.cancelledAfterScheduling && e.type === 'StockReserved')!.type = 'StockRejected';
    o.timeline.find((t) => t.orderId === ids.cancelledAfterScheduling && t.type === 'StockReserved')!.type = 'StockRejected';
    expect(check(o).unfinished).toBe(0);
  });
});

describe('check: duplicated effects', () => {
  it('one event recorded twice in a timeline', () => {
    const { o, ids } = cleanRun();
    const row = o.timeline.find((t) => t.orderId === ids.failed && t.type === 'ShipmentFailed')!;
    o.timeline.push({ ...row, id: 1000 });
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, duplicated: 1 });
    expect(v.findings).toEqual([{ kind: 'duplicated', orderId: ids.failed, detail: `timeline records event ${row.eventId} (ShipmentFailed) twice` }]);
  });

  it('two shipments for one order', () => {
    const { o, ids } = cleanRun();
    o.shipments.push({ id: randomUUID(), orderId: ids.confirmed, status: 'SCHEDULED' });
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, duplicated: 1 });
    expect(v.findings[0].detail).toMatch(/^2 shipments/);
  });

  it.each([
    ['confirmed', 'OrderPlaced'],
    ['confirmed', 'StockReserved'],
    ['confirmed', 'ShipmentScheduled'],
    ['failed', 'StockReleased'],
    ['cancelledAfterScheduling', 'OrderCancelled'],
    ['cancelledAfterScheduling', 'ShipmentCancelled'],
  ] as const)('a %s order with two %s events of distinct ids', (which, type) => {
    const { o, ids } = cleanRun();
    const first = eventOf(o, ids[which], type);
    o.events.push({ ...first, offset: String(Number(first.offset) + 500), eventId: randomUUID() });
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, duplicated: 1 });
    expect(v.findings).toEqual([{ kind: 'duplicated', orderId: ids[which], detail: expect.stringContaining(`2 distinct ${type} events`) }]);
  });

  it('both a reservation and a rejection of one order', () => {
    const { o, ids } = cleanRun();
    const reserved = eventOf(o, ids.confirmed, 'StockReserved');
    o.events.push({ ...reserved, offset: String(Number(reserved.offset) + 500), eventId: randomUUID(), type: 'StockRejected' });
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, duplicated: 1 });
    expect(v.findings[0].detail).toBe('both StockReserved and StockRejected');
  });

  it('two timeline rows of one step under distinct events', () => {
    const { o, ids } = cleanRun();
    const row = o.timeline.find((t) => t.orderId === ids.confirmed && t.type === 'StockReserved')!;
    // its event is on the topic (a re-send of the same fact under another id, which orders should have found unchanged)
    const event = eventOf(o, ids.confirmed, 'StockReserved');
    const again = randomUUID();
    o.events.push({ ...event, offset: String(Number(event.offset) + 500), eventId: again });
    o.timeline.push({ ...row, id: 1000, eventId: again, status: 'CONFIRMED' });
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, duplicated: 1 });
    expect(v.findings[0].detail).toMatch(/timeline records StockReserved twice/);
  });

  it("orders naming another shipment than shipping's", () => {
    const { o, ids } = cleanRun();
    o.orders.find((r) => r.id === ids.confirmed)!.shipmentId = randomUUID();
    expect(counts(check(o))).toEqual({ ...NONE, duplicated: 1 });
  });
});

describe('check: stock conserved', () => {
  it('units shipped twice: the counters disagree with the reservations and with the confirmed orders', () => {
    const { o } = cleanRun();
    const a = o.products.find((p) => p.sku === 'SKU-A')!;
    a.shipped += 2;
    a.available -= 2;
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, conserved: false });
    expect(v.findings).toEqual([
      { kind: 'not-conserved', sku: 'SKU-A', detail: 'SKU-A: shipped 5, but SHIPPED reservations hold 3; SKU-A: shipped 5, but CONFIRMED orders hold 3' },
    ]);
  });

  it('a reserved count that no reservation holds', () => {
    const { o } = cleanRun();
    const b = o.products.find((p) => p.sku === 'SKU-B')!;
    b.reserved += 1;
    b.available -= 1;
    expect(check(o).findings).toEqual([{ kind: 'not-conserved', sku: 'SKU-B', detail: 'SKU-B: reserved 1, but RESERVED reservations hold 0' }]);
  });

  it('counters that do not add up, or units received that the run never stocked', () => {
    const { o } = cleanRun();
    o.products.find((p) => p.sku === 'SKU-A')!.available += 1;
    const b = o.products.find((p) => p.sku === 'SKU-B')!;
    b.received += 5;
    b.available += 5;
    const v = check(o);
    expect(v.conserved).toBe(false);
    expect(v.findings.map((f) => [f.sku, f.detail])).toEqual([
      ['SKU-A', 'SKU-A: received 100 != available 98 + reserved 0 + shipped 3'],
      ['SKU-B', 'SKU-B: received 45, but the run stocked 40'],
    ]);
  });

  it('counts stock added during the run, and finds a stocked product missing', () => {
    const { o } = cleanRun();
    o.addedStock = { 'SKU-A': 10, 'SKU-C': 1 };
    const a = o.products.find((p) => p.sku === 'SKU-A')!;
    a.received += 10;
    a.available += 10;
    expect(check(o).findings).toEqual([{ kind: 'not-conserved', sku: 'SKU-C', detail: 'SKU-C was stocked but inventory has no such product' }]);
  });

  it('a confirmed order whose units inventory never counted as shipped', () => {
    const { o, ids } = cleanRun();
    // inventory consistent with itself, but without this order's reservation at all
    o.reservations = without(o.reservations, (r) => r.orderId === ids.shipmentFirst);
    const b = o.products.find((p) => p.sku === 'SKU-B')!;
    b.shipped -= 1;
    b.available += 1;
    const v = check(o);
    expect(v.conserved).toBe(false);
    expect(v.findings).toContainEqual({ kind: 'not-conserved', sku: 'SKU-B', detail: 'SKU-B: shipped 0, but CONFIRMED orders hold 1' });
  });
});

describe('check: reordered', () => {
  const swap = (a: TopicEvent, b: TopicEvent) => ([a.offset, b.offset] = [b.offset, a.offset]);

  it.each([
    ['cancelledEarly', 'OrderPlaced', 'OrderCancelled'],
    ['failed', 'StockReserved', 'StockReleased'],
    ['cancelledAfterScheduling', 'ShipmentScheduled', 'ShipmentCancelled'],
  ] as const)('a %s order whose %s comes after its %s on the topic', (which, first, second) => {
    const { o, ids } = cleanRun();
    swap(eventOf(o, ids[which], first), eventOf(o, ids[which], second));
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, reordered: 1 });
    expect(v.findings).toEqual([
      { kind: 'reordered', orderId: ids[which], detail: expect.stringMatching(new RegExp(`^${second} at offset \\d+ of .* comes before ${first}`)) },
    ]);
  });

  it('a copy of an earlier event read after a later one is a redelivery, not a reordering', () => {
    const { o, ids } = cleanRun();
    const placed = eventOf(o, ids.cancelledEarly, 'OrderPlaced');
    o.events.push({ ...placed, offset: '900' });
    expect(check(o)).toMatchObject({ ...NONE, redelivered: 1 });
  });

  it("an event keyed by another order's id", () => {
    const { o, ids } = cleanRun();
    eventOf(o, ids.confirmed, 'ShipmentScheduled').key = ids.failed;
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, reordered: 1 });
    expect(v.findings[0]).toMatchObject({ orderId: ids.confirmed, detail: expect.stringContaining(`keyed by ${ids.failed}`) });
  });

  it("an order's events on two partitions of one topic", () => {
    const { o, ids } = cleanRun();
    const released = eventOf(o, ids.failed, 'StockReleased');
    released.partition = (released.partition + 1) % 3;
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, reordered: 1 });
    expect(v.findings[0].detail).toMatch(/on inventory\.events are on partitions/);
  });

  it('a timeline that does not begin with the placement', () => {
    const { o, ids } = cleanRun();
    const rows = o.timeline.filter((t) => t.orderId === ids.failed);
    [rows[0].id, rows[1].id] = [rows[1].id, rows[0].id];
    expect(counts(check(o))).toEqual({ ...NONE, reordered: 1 });
  });

  it('a timeline in which ShipmentCancelled precedes the cancel that caused it', () => {
    const { o, ids } = cleanRun();
    const rows = o.timeline.filter((t) => t.orderId === ids.cancelledAfterScheduling);
    const cancel = rows.find((t) => t.type === 'OrderCancelled')!;
    cancel.id = rows.at(-1)!.id + 0.5;
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, reordered: 1 });
    expect(v.findings[0].detail).toContain('ShipmentCancelled (row');
  });

  it('a timeline whose status moves back, or leaves a final status', () => {
    const { o, ids } = cleanRun();
    const reserved = o.timeline.find((t) => t.orderId === ids.confirmed && t.type === 'StockReserved')!;
    reserved.id += 0.5 + (o.timeline.find((t) => t.orderId === ids.confirmed && t.type === 'ShipmentScheduled')!.id - reserved.id);
    const v = check(o);
    expect(counts(v)).toEqual({ ...NONE, reordered: 1 });
    expect(v.findings[0].detail).toBe(`timeline goes from CONFIRMED to RESERVED (StockReserved, row ${reserved.id})`);
  });

  it('a reservation recorded after the order was cancelled', () => {
    const { o, ids } = cleanRun();
    const event = eventOf(o, ids.cancelledEarly, 'StockReserved');
    o.timeline.push({ id: 1000, orderId: ids.cancelledEarly, eventId: event.eventId!, type: 'StockReserved', status: 'CANCELLED' });
    expect(counts(check(o))).toEqual({ ...NONE, reordered: 1 });
  });
});

describe('check: outcomes the load did not mean (legal, not failures)', () => {
  it('a cancel answered 409 because the order was already CONFIRMED', () => {
    const run = new RunBuilder();
    const id = run.confirmed({ intent: 'cancel', cancelStatus: 409 });
    const v = check(run.build());
    expect(counts(v)).toEqual({ ...NONE, unexpected: 1 });
    expect(v.outcomes).toEqual({ CONFIRMED: 1 });
    expect(v.findings).toEqual([{ kind: 'unexpected-outcome', orderId: id, detail: 'meant to cancel, ended CONFIRMED, its cancel answered 409' }]);
  });

  it('an order cancelled by the system after a dead letter', () => {
    const run = new RunBuilder();
    const id = run.cancelledBySystem();
    const v = check(run.build());
    expect(counts(v)).toEqual({ ...NONE, unexpected: 1 });
    expect(v.findings[0]).toMatchObject({
      orderId: id,
      detail: expect.stringMatching(/^meant to confirm, ended CANCELLED \(inventory could not process OrderPlaced/),
    });
  });
});
