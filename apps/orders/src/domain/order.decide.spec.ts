import { randomUUID } from 'node:crypto';
import { EventEnvelope, ShipmentScheduledV1, StockReservedV1 } from '@app/contracts';
import { Order, OrderStatus } from './order';
import { decideCancel, evolve, Evolution, InboundEvent } from './order.decide';

const now = new Date('2026-01-01T00:00:00Z');

function order(status: OrderStatus): Order {
  return {
    id: randomUUID(),
    customerId: 'c',
    status,
    lines: [{ sku: 'KB-001', quantity: 2 }],
    shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' },
    totalCents: null,
    currency: null,
    shipment: null,
    statusReason: null,
    correlationId: 'corr',
    createdAt: now,
    updatedAt: now,
  };
}

function envelope<T>(type: string, data: T): EventEnvelope<T> {
  return { id: randomUUID(), type, version: 1, occurredAt: now.toISOString(), orderId: randomUUID(), correlationId: 'corr', causationId: null, data };
}

const reserved = (): InboundEvent => ({
  kind: 'StockReserved',
  envelope: envelope('StockReserved', Object.assign(new StockReservedV1(), { lines: [{ sku: 'KB-001', quantity: 2, unitPriceCents: 500 }], totalCents: 1000, currency: 'EUR' })),
});
const scheduled = (): InboundEvent => ({
  kind: 'ShipmentScheduled',
  envelope: envelope('ShipmentScheduled', Object.assign(new ShipmentScheduledV1(), { shipmentId: randomUUID(), carrier: 'DHL', estimatedDelivery: now.toISOString() })),
});
const failed = (): InboundEvent => ({ kind: 'ShipmentFailed', envelope: envelope('ShipmentFailed', { reason: 'DESTINATION_NOT_SERVED' as const, detail: 'no' }) });
const rejected = (): InboundEvent => ({ kind: 'StockRejected', envelope: envelope('StockRejected', { reasons: [{ sku: 'KB-001', reason: 'OUT_OF_STOCK' as const, requested: 2, available: 0 }] }) });

/** The order the event moved to; fails the test when the event did not move it. */
function movedBy(before: Order, event: InboundEvent): Evolution & { kind: 'moved' } {
  const evolution = evolve(before, event, now);
  if (evolution.kind !== 'moved') throw new Error(`expected the order to move, got ${evolution.kind}: ${evolution.why}`);
  return evolution;
}

describe('order saga transitions', () => {
  it('given PENDING, when stock is reserved, then RESERVED with prices and total', () => {
    const { order: next, timeline } = movedBy(order('PENDING'), reserved());
    expect(next.status).toBe('RESERVED');
    expect(next.lines).toEqual([{ sku: 'KB-001', quantity: 2, unitPriceCents: 500 }]);
    expect(next.totalCents).toBe(1000);
    expect(timeline.status).toBe('RESERVED');
  });

  it('given RESERVED, when the shipment is scheduled, then CONFIRMED with the shipment', () => {
    const { order: next } = movedBy(order('RESERVED'), scheduled());
    expect(next.status).toBe('CONFIRMED');
    expect(next.shipment?.carrier).toBe('DHL');
  });

  it('given PENDING, when the shipment event overtakes the reservation, then CONFIRMED, and the late reservation only adds prices', () => {
    const confirmed = movedBy(order('PENDING'), scheduled()).order;
    expect(confirmed.status).toBe('CONFIRMED');
    const late = movedBy(confirmed, reserved());
    expect(late.order.status).toBe('CONFIRMED');
    expect(late.order.totalCents).toBe(1000);
    expect(late.timeline.status).toBe('CONFIRMED');
  });

  it('given PENDING, when stock is rejected, then REJECTED with the reasons', () => {
    const { order: next } = movedBy(order('PENDING'), rejected());
    expect(next.status).toBe('REJECTED');
    expect(next.statusReason).toBe('KB-001: OUT_OF_STOCK (requested 2, available 0)');
  });

  it('given PENDING, when the shipment fails, then FAILED with the reason', () => {
    const { order: next } = movedBy(order('PENDING'), failed());
    expect(next.status).toBe('FAILED');
    expect(next.statusReason).toBe('DESTINATION_NOT_SERVED: no');
  });

  it('given a scheduled shipment, when it is cancelled, then the shipment is CANCELLED and the status stays', () => {
    const confirmed = movedBy(order('RESERVED'), scheduled()).order;
    const cancel: InboundEvent = { kind: 'ShipmentCancelled', envelope: envelope('ShipmentCancelled', { shipmentId: confirmed.shipment!.shipmentId }) };
    const { order: next } = movedBy({ ...confirmed, status: 'CANCELLED' }, cancel);
    expect(next).toMatchObject({ status: 'CANCELLED', shipment: { status: 'CANCELLED' } });
    expect(evolve(next, cancel, now).kind).toBe('unchanged');
  });
});

describe('the same fact again, under another event id', () => {
  it.each([
    ['a reservation', 'PENDING', reserved],
    ['a rejection', 'PENDING', rejected],
    ['a shipment', 'RESERVED', scheduled],
    ['a shipment failure', 'RESERVED', failed],
  ] as const)('%s applied twice changes nothing the second time (no timeline entry)', (_what, from, event) => {
    const first = event();
    const once = movedBy(order(from), first).order;
    const again = { ...first, envelope: { ...first.envelope, id: randomUUID() } } as InboundEvent;
    expect(evolve(once, again, now)).toEqual({ kind: 'unchanged', why: expect.stringContaining('already') });
  });

  it('a step a CONFIRMED order took long ago changes nothing', () => {
    const confirmed = movedBy(movedBy(order('PENDING'), reserved()).order, scheduled()).order;
    expect(evolve(confirmed, reserved(), now).kind).toBe('unchanged');
  });

  it.each([
    ['a reservation', reserved],
    ['a rejection', rejected],
    ['a shipment failure', failed],
  ] as const)('%s for an order cancelled before it changes nothing', (_what, event) => {
    expect(evolve(order('CANCELLED'), event(), now).kind).toBe('unchanged');
  });
});

describe('a fact that contradicts the order', () => {
  const confirmed = () => movedBy(movedBy(order('PENDING'), reserved()).order, scheduled()).order;

  it('another shipment for a CONFIRMED order is a conflict, and the order keeps its shipment', () => {
    const before = confirmed();
    expect(evolve(before, scheduled(), now)).toEqual({ kind: 'conflict', why: expect.stringContaining(`it has shipment ${before.shipment!.shipmentId}`) });
  });

  it('another total for a reserved order is a conflict', () => {
    const other = reserved();
    (other.envelope.data as StockReservedV1).totalCents = 999;
    expect(evolve(movedBy(order('PENDING'), reserved()).order, other, now).kind).toBe('conflict');
  });

  it.each([
    ['a reservation of a REJECTED order', 'REJECTED', reserved],
    ['a rejection of a RESERVED order', 'RESERVED', rejected],
    ['a shipment of a REJECTED order', 'REJECTED', scheduled],
    ['a shipment of a FAILED order', 'FAILED', scheduled],
    ['a shipment failure of a CONFIRMED order', 'CONFIRMED', failed],
  ] as const)('%s is a conflict', (_what, status, event) => {
    expect(evolve(order(status), event(), now).kind).toBe('conflict');
  });

  it('no event ever moves a final order to another status', () => {
    for (const status of ['CANCELLED', 'REJECTED', 'FAILED', 'CONFIRMED'] as const) {
      for (const event of [reserved(), scheduled(), failed(), rejected()]) {
        const evolution = evolve(order(status), event, now);
        if (evolution.kind === 'moved') expect(evolution.order.status).toBe(status);
      }
    }
  });
});

describe('cancelling', () => {
  it.each([['PENDING'], ['RESERVED']] as const)('is allowed while %s and emits OrderCancelled', (status) => {
    const decision = decideCancel(order(status), 'changed my mind', now);
    expect(decision.ok).toBe(true);
    if (decision.ok) {
      expect(decision.order.status).toBe('CANCELLED');
      expect(decision.event.reason).toBe('changed my mind');
    }
  });

  it.each([['CONFIRMED'], ['REJECTED'], ['FAILED'], ['CANCELLED']] as const)('is refused once %s', (status) => {
    expect(decideCancel(order(status), undefined, now)).toEqual({ ok: false, reason: expect.stringContaining(`is ${status}`) });
  });
});
