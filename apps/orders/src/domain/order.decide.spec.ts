import { randomUUID } from 'node:crypto';
import { OrderPlacedV1, ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1, StockRejectedV1, StockReservedV1 } from '@app/contracts';
import { anEnvelope } from '@app/testing/events';
import { given } from '@app/testing/given-when-then';
import { anOrder, aPlaceOrderRequest } from '../../test/order.fixtures';
import { Order, OrderStatus } from './order';
import { decideCancel, evolve, Evolution, InboundEvent, placeOrder } from './order.decide';

const now = new Date('2026-01-01T00:00:00Z');

const order = (status: OrderStatus): Order => anOrder({ status }, now);

/** Events of the order's saga, as they happened `now`. */
const at = { occurredAt: now.toISOString(), correlationId: 'corr' };
const reserved = (): InboundEvent => ({
  kind: 'StockReserved',
  envelope: anEnvelope(StockReservedV1, { lines: [{ sku: 'KB-001', quantity: 2, unitPriceCents: 500 }], totalCents: 1000, currency: 'EUR' }, at),
});
const scheduled = (): InboundEvent => ({
  kind: 'ShipmentScheduled',
  envelope: anEnvelope(ShipmentScheduledV1, { shipmentId: randomUUID(), carrier: 'DHL', estimatedDelivery: now.toISOString() }, at),
});
const failed = (): InboundEvent => ({ kind: 'ShipmentFailed', envelope: anEnvelope(ShipmentFailedV1, { reason: 'DESTINATION_NOT_SERVED', detail: 'no' }, at) });
const rejected = (): InboundEvent => ({
  kind: 'StockRejected',
  envelope: anEnvelope(StockRejectedV1, { reasons: [{ sku: 'KB-001', reason: 'OUT_OF_STOCK', requested: 2, available: 0 }] }, at),
});

/** The order after the event, which must move it (an evolve for given().after()). */
const moveBy = (before: Order, event: InboundEvent): Order => movedBy(before, event).order;

describe('placing an order', () => {
  const request = aPlaceOrderRequest();
  const ids = { orderId: randomUUID(), correlationId: 'corr-1' };

  it('given a valid request, when it is placed, then the order is PENDING without prices, announced by OrderPlaced, its timeline begun', () => {
    const placed = given(request)
      .when((r) => placeOrder(r, ids, now))
      .then({
        order: {
          id: ids.orderId,
          customerId: 'c',
          status: 'PENDING',
          lines: [{ sku: 'KB-001', quantity: 2 }],
          totalCents: null,
          currency: null,
          correlationId: 'corr-1',
        },
        event: { customerId: 'c', lines: request.lines, shippingAddress: request.shippingAddress },
        timeline: { type: 'OrderPlaced', status: 'PENDING', occurredAt: now },
      });
    expect(placed.event).toBeInstanceOf(OrderPlacedV1);
    expect(placed.order).toMatchObject({ createdAt: now, updatedAt: now, shipment: null, statusReason: null });
  });

  it("keeps the order's lines and address apart from the request's", () => {
    const { order: placed } = placeOrder(request, ids, now);
    expect(placed.lines[0]).not.toBe(request.lines[0]);
    expect(placed.shippingAddress).not.toBe(request.shippingAddress);
    expect(placed.shippingAddress).toEqual(request.shippingAddress);
  });
});

/** The order the event moved to; fails the test when the event did not move it. */
function movedBy(before: Order, event: InboundEvent): Evolution & { kind: 'moved' } {
  const evolution = evolve(before, event, now);
  if (evolution.kind !== 'moved') throw new Error(`expected the order to move, got ${evolution.kind}: ${evolution.why}`);
  return evolution;
}

describe('order saga transitions', () => {
  it('given PENDING, when stock is reserved, then RESERVED with prices and total', () => {
    given(order('PENDING'))
      .when((o) => evolve(o, reserved(), now))
      .then({
        kind: 'moved',
        order: { status: 'RESERVED', lines: [{ sku: 'KB-001', quantity: 2, unitPriceCents: 500 }], totalCents: 1000, currency: 'EUR' },
        timeline: { type: 'StockReserved', status: 'RESERVED', occurredAt: now, detail: { totalCents: 1000, currency: 'EUR' } },
      });
  });

  it('given RESERVED, when the shipment is scheduled, then CONFIRMED with the shipment', () => {
    given(order('RESERVED'))
      .when((o) => evolve(o, scheduled(), now))
      .then({ kind: 'moved', order: { status: 'CONFIRMED', shipment: { carrier: 'DHL', status: 'SCHEDULED' } } });
  });

  it('given PENDING, when the shipment event overtakes the reservation, then CONFIRMED, and the late reservation only adds prices', () => {
    given(order('PENDING'))
      .after(moveBy, scheduled())
      .when((o) => evolve(o, reserved(), now))
      .then({ kind: 'moved', order: { status: 'CONFIRMED', totalCents: 1000 }, timeline: { status: 'CONFIRMED' } });
  });

  it('given PENDING, when stock is rejected, then REJECTED with the reasons', () => {
    given(order('PENDING'))
      .when((o) => evolve(o, rejected(), now))
      .then({ kind: 'moved', order: { status: 'REJECTED', statusReason: 'KB-001: OUT_OF_STOCK (requested 2, available 0)' } });
  });

  it('given PENDING, when the shipment fails, then FAILED with the reason', () => {
    given(order('PENDING'))
      .when((o) => evolve(o, failed(), now))
      .then({ kind: 'moved', order: { status: 'FAILED', statusReason: 'DESTINATION_NOT_SERVED: no' } });
  });

  it('given a scheduled shipment, when it is cancelled, then the shipment is CANCELLED and the status stays', () => {
    const confirmed = moveBy(order('RESERVED'), scheduled());
    const cancel: InboundEvent = { kind: 'ShipmentCancelled', envelope: anEnvelope(ShipmentCancelledV1, { shipmentId: confirmed.shipment!.shipmentId }, at) };
    const { order: next } = movedBy({ ...confirmed, status: 'CANCELLED' }, cancel);
    expect(next).toMatchObject({ status: 'CANCELLED', shipment: { status: 'CANCELLED' } });
    given(next)
      .when((o) => evolve(o, cancel, now))
      .then({ kind: 'unchanged' });
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
  it.each([['PENDING'], ['RESERVED']] as const)('is allowed while %s and emits OrderCancelled, with its timeline entry', (status) => {
    given(order(status))
      .when((o) => decideCancel(o, 'changed my mind', now))
      .then({
        ok: true,
        order: { status: 'CANCELLED', statusReason: 'changed my mind', updatedAt: now },
        event: { reason: 'changed my mind' },
        timeline: { type: 'OrderCancelled', status: 'CANCELLED', occurredAt: now, detail: { reason: 'changed my mind' } },
      });
  });

  it('without a reason, says the customer cancelled it', () => {
    given(order('PENDING'))
      .when((o) => decideCancel(o, undefined, now))
      .then({ ok: true, order: { statusReason: 'cancelled by customer' }, timeline: { detail: undefined } });
  });

  it.each([['CONFIRMED'], ['REJECTED'], ['FAILED'], ['CANCELLED']] as const)('is refused once %s', (status) => {
    given(order(status))
      .when((o) => decideCancel(o, undefined, now))
      .then({ ok: false, reason: expect.stringContaining(`is ${status} and can no longer be cancelled`) });
  });
});
