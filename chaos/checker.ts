import { Finding, Intent, Observation, OrderLine, OrderRow, PlacedOrder, ReservationRow, ShipmentRow, TimelineRow, TopicEvent, Verdict } from './model';

/**
 * The chaos run's checker: given what the load was told and what the databases and topics hold after
 * quiescence, judges every order against the saga (docs/architecture.md) and stock against its invariants.
 * Pure: the same observation gives the same verdict.
 */

type Kind = Finding['kind'];
type Topic = TopicEvent['topic'];

const FINAL_STATUSES: ReadonlySet<string> = new Set(['CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED']);

/** Where an order's status sits on its one-way path: PENDING, then RESERVED, then a final status. */
const STATUS_RANK: Readonly<Record<string, number>> = { PENDING: 0, RESERVED: 1, CONFIRMED: 2, REJECTED: 2, FAILED: 2, CANCELLED: 2 };

const INTENDED_STATUS: Readonly<Record<Intent, string>> = { confirm: 'CONFIRMED', reject: 'REJECTED', fail: 'FAILED', cancel: 'CANCELLED' };

/** The answers of POST /orders/:id/cancel that say the order was cancelled (it answers 200; 202 is taken too). */
const CANCEL_ACCEPTED: ReadonlySet<number> = new Set([200, 202]);

/**
 * Every event type of the saga, by its topic. Each happens at most once per order: every one is decided by
 * its service under a lock on the order's row (order, reservation, shipment) whose state then refuses it again.
 */
const TOPIC_OF: Readonly<Record<string, Topic>> = {
  OrderPlaced: 'orders.events',
  OrderCancelled: 'orders.events',
  StockReserved: 'inventory.events',
  StockRejected: 'inventory.events',
  StockReleased: 'inventory.events',
  ShipmentScheduled: 'shipping.events',
  ShipmentFailed: 'shipping.events',
  ShipmentCancelled: 'shipping.events',
};

/** Two answers to one question: an order gets one of them. */
const EXCLUSIVE: readonly (readonly [string, string])[] = [
  ['StockReserved', 'StockRejected'],
  ['ShipmentScheduled', 'ShipmentFailed'],
];

/** Within one topic (one partition per order): an event and the ones its producer wrote before it, if any. */
const CAUSED_AFTER: readonly { type: string; after: readonly string[] }[] = [
  { type: 'OrderCancelled', after: ['OrderPlaced'] },
  { type: 'StockReleased', after: ['StockReserved', 'StockRejected'] },
  { type: 'ShipmentCancelled', after: ['ShipmentScheduled'] },
];

/** Everything known of one order, from every source. */
interface OrderFacts {
  id: string;
  placed: PlacedOrder[];
  row: OrderRow | undefined;
  timeline: TimelineRow[];
  reservations: ReservationRow[];
  shipments: ShipmentRow[];
  /** By topic, partition and offset. */
  events: TopicEvent[];
}

/** Findings gathered per subject (an order, or a request without an id) and kind: counted once each. */
class Findings {
  private readonly bySubject = new Map<string, { kind: Kind; orderId?: string; sku?: string; details: string[] }>();

  add(kind: Kind, subject: { orderId?: string; sku?: string; key?: string }, detail: string): void {
    const key = `${kind} ${subject.orderId ?? subject.sku ?? subject.key}`;
    const entry = this.bySubject.get(key);
    if (entry) entry.details.push(detail);
    else this.bySubject.set(key, { kind, orderId: subject.orderId, sku: subject.sku, details: [detail] });
  }

  has(kind: Kind, orderId: string): boolean {
    return this.bySubject.has(`${kind} ${orderId}`);
  }

  count(kind: Kind): number {
    let n = 0;
    for (const entry of this.bySubject.values()) if (entry.kind === kind) n++;
    return n;
  }

  list(): Finding[] {
    return [...this.bySubject.values()].map(({ kind, orderId, sku, details }) => ({
      kind,
      ...(orderId === undefined ? {} : { orderId }),
      ...(sku === undefined ? {} : { sku }),
      detail: details.join('; '),
    }));
  }
}

export function check(o: Observation): Verdict {
  const findings = new Findings();
  const facts = gather(o);
  const onTopics = new Set<string>();
  let redelivered = 0;
  for (const e of o.events) {
    if (e.eventId === null) continue;
    const id = `${e.topic} ${e.eventId}`;
    if (onTopics.has(id)) redelivered++;
    else onTopics.add(id);
  }

  // the orders judged: every acked one, and every one that exists as far as the load or the topics know
  const judged = new Set<string>();
  let acked = 0;
  const outcomes: Record<string, number> = {};
  const ackedIds = new Set<string>();
  for (const p of o.placed) {
    if (!p.acked) continue;
    if (p.orderId === null) {
      // a 202 always carries the order's id; without one the order cannot be looked for
      acked++;
      findings.add('lost', { key: `request ${p.idempotencyKey}` }, `request ${p.idempotencyKey} was answered 202 without an order id`);
      outcomes.MISSING = (outcomes.MISSING ?? 0) + 1;
      continue;
    }
    if (ackedIds.has(p.orderId)) continue;
    ackedIds.add(p.orderId);
    acked++;
    judged.add(p.orderId);
    const status = facts.get(p.orderId)?.row?.status ?? 'MISSING';
    outcomes[status] = (outcomes[status] ?? 0) + 1;
  }
  for (const p of o.placed) if (p.orderId !== null && facts.get(p.orderId)?.row) judged.add(p.orderId);
  for (const e of o.events) if (e.type === 'OrderPlaced' && e.orderId !== null) judged.add(e.orderId);

  for (const f of facts.values()) {
    checkEvents(f, findings);
    checkDuplicates(f, findings);
    if (f.row) checkTimeline(f, findings);
  }
  for (const id of judged) {
    const f = facts.get(id)!;
    checkLost(f, onTopics, ackedIds.has(id), findings);
    if (!f.row || findings.has('lost', id)) continue;
    checkSettled(f, findings);
    checkIntent(f, findings);
  }
  const conserved = checkStock(o, findings);

  return {
    orders: acked,
    lost: findings.count('lost'),
    duplicated: findings.count('duplicated'),
    unfinished: findings.count('unfinished'),
    reordered: findings.count('reordered'),
    conserved,
    redelivered,
    outcomes,
    unexpected: findings.count('unexpected-outcome'),
    findings: findings.list(),
  };
}

/** Every source's rows, by order. */
function gather(o: Observation): Map<string, OrderFacts> {
  const facts = new Map<string, OrderFacts>();
  const of = (id: string): OrderFacts => {
    let f = facts.get(id);
    if (!f) facts.set(id, (f = { id, placed: [], row: undefined, timeline: [], reservations: [], shipments: [], events: [] }));
    return f;
  };
  for (const p of o.placed) if (p.orderId !== null) of(p.orderId).placed.push(p);
  for (const r of o.orders) of(r.id).row = r;
  for (const t of o.timeline) of(t.orderId).timeline.push(t);
  for (const r of o.reservations) of(r.orderId).reservations.push(r);
  for (const s of o.shipments) of(s.orderId).shipments.push(s);
  for (const e of o.events) if (e.orderId !== null && e.eventId !== null) of(e.orderId).events.push(e);
  for (const f of facts.values()) {
    f.timeline.sort((a, b) => a.id - b.id);
    f.events.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition || Number(a.offset) - Number(b.offset) : a.topic < b.topic ? -1 : 1));
  }
  return facts;
}

/** The order's distinct events of each type (by event id), each with its first copy on the topic. */
function eventsByType(f: OrderFacts): Map<string, Map<string, TopicEvent>> {
  const byType = new Map<string, Map<string, TopicEvent>>();
  for (const e of f.events) {
    if (e.type === null) continue;
    let ids = byType.get(e.type);
    if (!ids) byType.set(e.type, (ids = new Map()));
    // events are sorted by offset within a partition, so the first copy seen is the earliest
    if (!ids.has(e.eventId!)) ids.set(e.eventId!, e);
  }
  return byType;
}

/**
 * reordered: an event keyed by another order's id, an order's events on two partitions of a topic, or an
 * event before the one its producer wrote it after (compared by the first copy of each: a relay that
 * publishes again after a crash repeats a run of events, which its consumers skip).
 */
function checkEvents(f: OrderFacts, findings: Findings): void {
  const partitions = new Map<Topic, Set<number>>();
  for (const e of f.events) {
    if (e.key !== e.orderId)
      findings.add('reordered', { orderId: f.id }, `${e.type} ${e.eventId} on ${e.topic} is keyed by ${e.key ?? 'nothing'}, not by its order`);
    let ps = partitions.get(e.topic);
    if (!ps) partitions.set(e.topic, (ps = new Set()));
    ps.add(e.partition);
  }
  const split = new Set<Topic>();
  for (const [topic, ps] of partitions) {
    if (ps.size <= 1) continue;
    split.add(topic);
    findings.add('reordered', { orderId: f.id }, `its events on ${topic} are on partitions ${[...ps].sort((a, b) => a - b).join(', ')}`);
  }
  const byType = eventsByType(f);
  const firstOffset = (type: string): number | null => {
    const ids = byType.get(type);
    if (!ids) return null;
    return Math.min(...[...ids.values()].map((e) => Number(e.offset)));
  };
  for (const rule of CAUSED_AFTER) {
    if (split.has(TOPIC_OF[rule.type])) continue; // offsets of two partitions say nothing of order
    const at = firstOffset(rule.type);
    if (at === null) continue;
    for (const before of rule.after) {
      const cause = firstOffset(before);
      if (cause !== null && cause > at)
        findings.add('reordered', { orderId: f.id }, `${rule.type} at offset ${at} of ${TOPIC_OF[rule.type]} comes before ${before} at ${cause}`);
    }
  }
}

/** duplicated: an effect that happened twice (not an event read twice: that is a redelivery). */
function checkDuplicates(f: OrderFacts, findings: Findings): void {
  const dup = (detail: string) => findings.add('duplicated', { orderId: f.id }, detail);
  const byType = eventsByType(f);
  for (const [type, ids] of byType) {
    if (TOPIC_OF[type] && ids.size > 1) dup(`${ids.size} distinct ${type} events (${[...ids.keys()].join(', ')})`);
  }
  for (const [a, b] of EXCLUSIVE) if (byType.has(a) && byType.has(b)) dup(`both ${a} and ${b}`);
  if (f.shipments.length > 1) dup(`${f.shipments.length} shipments (${f.shipments.map((s) => `${s.id} ${s.status}`).join(', ')})`);
  if (f.reservations.length > 1) dup(`${f.reservations.length} reservations`);

  const eventIds = new Set<string>();
  const types = new Set<string>();
  for (const t of f.timeline) {
    if (eventIds.has(t.eventId)) dup(`timeline records event ${t.eventId} (${t.type}) twice`);
    else if (types.has(t.type)) dup(`timeline records ${t.type} twice, under distinct events`);
    eventIds.add(t.eventId);
    types.add(t.type);
  }

  // the order, shipping and inventory must name one shipment
  const shipment = f.shipments.length === 1 ? f.shipments[0].id : null;
  const named = [
    ['orders', f.row?.shipmentId],
    ['inventory', f.reservations.length === 1 ? f.reservations[0].shipmentId : null],
  ] as const;
  for (const [service, id] of named) {
    if (id && shipment && id !== shipment) dup(`${service} records shipment ${id}, shipping has ${shipment}`);
  }
}

/**
 * reordered: the orders timeline, by row id, against what the saga allows. It begins with the placement;
 * statuses move PENDING, RESERVED, then one final status; a ShipmentCancelled follows the shipment and the
 * cancel that caused it; after a cancel only the shipment's own events are recorded. A shipment before its
 * reservation is legal (the two topics are read independently).
 */
function checkTimeline(f: OrderFacts, findings: Findings): void {
  const wrong = (detail: string) => findings.add('reordered', { orderId: f.id }, detail);
  const rows = f.timeline;
  if (rows.length === 0) return; // checkLost reports the missing placement
  if (rows[0].type !== 'OrderPlaced' || rows[0].status !== 'PENDING')
    wrong(`its timeline begins with ${rows[0].type} ${rows[0].status}, not OrderPlaced PENDING`);
  const seen = new Set<string>();
  let status = rows[0].status;
  for (const row of rows) {
    const rank = STATUS_RANK[row.status];
    if (rank === undefined) wrong(`timeline row ${row.id} has status ${row.status}`);
    else if (rank < STATUS_RANK[status] || (FINAL_STATUSES.has(status) && row.status !== status))
      wrong(`timeline goes from ${status} to ${row.status} (${row.type}, row ${row.id})`);
    if (row.type === 'ShipmentCancelled') {
      for (const cause of ['ShipmentScheduled', 'OrderCancelled'])
        if (!seen.has(cause)) wrong(`timeline records ShipmentCancelled (row ${row.id}) before ${cause}`);
    }
    if (seen.has('OrderCancelled') && row.type !== 'ShipmentScheduled' && row.type !== 'ShipmentCancelled')
      wrong(`timeline records ${row.type} (row ${row.id}) after the order was cancelled`);
    seen.add(row.type);
    if (rank !== undefined) status = row.status;
  }
}

/**
 * lost: an acked order the orders database does not have; a cancel answered as done on an order that is not
 * CANCELLED; an event missing from its topic that the order's state, its timeline or another service's rows
 * prove was produced.
 */
function checkLost(f: OrderFacts, onTopics: ReadonlySet<string>, acked: boolean, findings: Findings): void {
  const lost = (detail: string) => findings.add('lost', { orderId: f.id }, detail);
  const row = f.row;
  if (!row) {
    lost(acked ? 'acked (202) but not in the orders database' : 'its OrderPlaced is on orders.events but the orders database does not have it');
    return;
  }
  const cancelled = f.placed.find((p) => p.cancelStatus != null && CANCEL_ACCEPTED.has(p.cancelStatus));
  if (cancelled && row.status !== 'CANCELLED') lost(`its cancel was answered ${cancelled.cancelStatus}, but it is ${row.status}`);

  const needed = new Map<string, string>(); // event type -> what proves it was produced
  const need = (type: string, why: string) => {
    if (!needed.has(type)) needed.set(type, why);
  };
  need('OrderPlaced', 'it exists');
  const byStatus: Readonly<Record<string, readonly string[]>> = {
    CONFIRMED: ['StockReserved', 'ShipmentScheduled'],
    REJECTED: ['StockRejected'],
    FAILED: ['StockReserved', 'ShipmentFailed'], // shipping decides only once the stock is reserved
    CANCELLED: ['OrderCancelled'],
  };
  for (const type of byStatus[row.status] ?? []) need(type, `it is ${row.status}`);
  for (const r of f.reservations) {
    if (r.status === 'REJECTED') need('StockRejected', 'its reservation is REJECTED');
    if (r.lines.length > 0) need('StockReserved', `its reservation is ${r.status} with units`);
    if (r.status === 'RELEASED' && r.lines.length > 0) need('StockReleased', 'its reserved units were released');
  }
  for (const s of f.shipments) {
    if (s.status === 'SCHEDULED' || s.status === 'CANCELLED') need('ShipmentScheduled', `its shipment is ${s.status}`);
    if (s.status === 'CANCELLED') need('ShipmentCancelled', 'its shipment is CANCELLED');
    if (s.status === 'FAILED') need('ShipmentFailed', 'its shipment is FAILED');
  }
  const present = new Set(f.events.filter((e) => e.type !== null && TOPIC_OF[e.type] === e.topic).map((e) => e.type));
  const missing = [...needed].filter(([type]) => !present.has(type)).map(([type, why]) => `no ${type} on ${TOPIC_OF[type]} (${why})`);
  if (missing.length > 0) lost(missing.join(', '));

  if (f.timeline.length === 0) lost('no timeline (not even its placement)');
  for (const t of f.timeline) {
    const topic = TOPIC_OF[t.type];
    if (topic && !onTopics.has(`${topic} ${t.eventId}`)) lost(`its timeline records ${t.type} ${t.eventId}, which ${topic} does not hold`);
  }
}

/**
 * unfinished: not in a final status, or final with the other services not yet where that status leaves them.
 * A reservation ends SHIPPED (confirmed), RELEASED (failed, or cancelled: released, or shipped and returned by
 * the ShipmentCancelled) or REJECTED; a cancelled order's shipment ends CANCELLED or FAILED, or never existed.
 */
function checkSettled(f: OrderFacts, findings: Findings): void {
  const row = f.row!;
  const unsettled: string[] = [];
  const reservation = f.reservations.length === 1 ? f.reservations[0].status : f.reservations.length === 0 ? null : 'several';
  const shipments = f.shipments.map((s) => s.status);
  const holds = (units: string | null) => units === 'RESERVED' || units === 'SHIPPED' || units === 'several';
  switch (row.status) {
    case 'CONFIRMED':
      if (reservation !== 'SHIPPED') unsettled.push(`its reservation is ${reservation ?? 'absent'}, not SHIPPED`);
      // two shipments are duplicated, not unfinished
      if (!shipments.includes('SCHEDULED')) unsettled.push(`it has no SCHEDULED shipment (${shipments.join(', ') || 'none'})`);
      if (row.shipmentStatus !== 'SCHEDULED') unsettled.push(`the order's shipment is ${row.shipmentStatus ?? 'absent'}, not SCHEDULED`);
      break;
    case 'FAILED':
      if (reservation !== 'RELEASED') unsettled.push(`its reservation is ${reservation ?? 'absent'}, not RELEASED`);
      if (!shipments.includes('FAILED')) unsettled.push(`it has no FAILED shipment (${shipments.join(', ') || 'none'})`);
      break;
    case 'REJECTED':
      if (holds(reservation)) unsettled.push(`its reservation is ${reservation}, holding units`);
      if (shipments.includes('SCHEDULED')) unsettled.push('it has a SCHEDULED shipment');
      break;
    case 'CANCELLED':
      if (holds(reservation)) unsettled.push(`its reservation is ${reservation}, holding units`);
      if (shipments.includes('SCHEDULED')) unsettled.push('its shipment is still SCHEDULED');
      if (row.shipmentStatus === 'SCHEDULED') unsettled.push("the order's shipment is still SCHEDULED");
      else if (shipments.includes('CANCELLED') && row.shipmentStatus !== 'CANCELLED')
        unsettled.push(`shipping cancelled its shipment, the order's is ${row.shipmentStatus ?? 'absent'}`);
      break;
    default:
      unsettled.push(`it is still ${row.status}`);
  }
  if (unsettled.length > 0) findings.add('unfinished', { orderId: f.id }, `${row.status}: ${unsettled.join(', ')}`);
}

/** unexpected-outcome: a legal final status other than the one the load meant (not a failure). */
function checkIntent(f: OrderFacts, findings: Findings): void {
  const row = f.row!;
  const request = f.placed.find((p) => p.acked) ?? f.placed[0];
  if (!request || !FINAL_STATUSES.has(row.status)) return;
  if (row.status === INTENDED_STATUS[request.intent]) return;
  const cancel = request.intent === 'cancel' ? `, its cancel answered ${request.cancelStatus ?? 'nothing'}` : '';
  const reason = row.statusReason ? ` (${row.statusReason})` : '';
  findings.add('unexpected-outcome', { orderId: f.id }, `meant to ${request.intent}, ended ${row.status}${reason}${cancel}`);
}

/**
 * not-conserved: per product, its counters against each other, against the stock the run gave it, against
 * inventory's reservations, and its shipped units against the orders that shipped (CONFIRMED: a cancel never
 * reaches a confirmed order, so its shipment stands).
 */
function checkStock(o: Observation, findings: Findings): boolean {
  let conserved = true;
  const wrong = (sku: string, detail: string) => {
    conserved = false;
    findings.add('not-conserved', { sku }, detail);
  };
  const sum = (into: Map<string, number>, lines: readonly OrderLine[]) => {
    for (const l of lines) into.set(l.sku, (into.get(l.sku) ?? 0) + l.quantity);
  };
  const reserved = new Map<string, number>();
  const shipped = new Map<string, number>();
  for (const r of o.reservations) {
    if (r.status === 'RESERVED') sum(reserved, r.lines);
    if (r.status === 'SHIPPED') sum(shipped, r.lines);
  }
  const confirmed = new Map<string, number>();
  for (const order of o.orders) if (order.status === 'CONFIRMED' && order.shipmentStatus !== 'CANCELLED') sum(confirmed, order.lines);

  const products = new Map(o.products.map((p) => [p.sku, p]));
  for (const sku of new Set([...Object.keys(o.initialStock), ...Object.keys(o.addedStock)])) {
    if (!products.has(sku)) wrong(sku, `${sku} was stocked but inventory has no such product`);
  }
  for (const p of o.products) {
    const given = p.sku in o.initialStock || p.sku in o.addedStock ? (o.initialStock[p.sku] ?? 0) + (o.addedStock[p.sku] ?? 0) : null;
    if (p.received !== p.available + p.reserved + p.shipped)
      wrong(p.sku, `${p.sku}: received ${p.received} != available ${p.available} + reserved ${p.reserved} + shipped ${p.shipped}`);
    if (given !== null && p.received !== given) wrong(p.sku, `${p.sku}: received ${p.received}, but the run stocked ${given}`);
    const held = reserved.get(p.sku) ?? 0;
    if (p.reserved !== held) wrong(p.sku, `${p.sku}: reserved ${p.reserved}, but RESERVED reservations hold ${held}`);
    const left = shipped.get(p.sku) ?? 0;
    if (p.shipped !== left) wrong(p.sku, `${p.sku}: shipped ${p.shipped}, but SHIPPED reservations hold ${left}`);
    const sold = confirmed.get(p.sku) ?? 0;
    if (p.shipped !== sold) wrong(p.sku, `${p.sku}: shipped ${p.shipped}, but CONFIRMED orders hold ${sold}`);
  }
  return conserved;
}
