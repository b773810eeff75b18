import { MAX_LINE_QUANTITY, MAX_ORDER_LINES, MAX_RESERVED_QUANTITY, StockReservedV1, validateData } from '@app/contracts';
import { given } from '@app/testing/given-when-then';
import {
  decideReservation,
  decideStep,
  mergeLines,
  MIXED_CURRENCIES,
  nextReservationStatus,
  ProductStock,
  Reservation,
  ReserveDecision,
  shipmentConflict,
  stockDeltas,
} from './stock';

const product = (sku: string, available: number, priceCents = 100, currency = 'EUR'): ProductStock => ({
  sku,
  priceCents,
  currency,
  available,
  reserved: 0,
  shipped: 0,
});
const stock = (...products: ProductStock[]) => new Map(products.map((p) => [p.sku, p]));
const line = (sku: string, quantity: number) => ({ sku, quantity });

/** The reservation decided; fails the test when the order was not reserved. */
function reserved(decision: ReserveDecision): Extract<ReserveDecision, { kind: 'reserve' }> {
  if (decision.kind !== 'reserve') throw new Error(`expected a reservation, got ${decision.kind}`);
  return decision;
}

describe('reserving stock: all lines or none', () => {
  it('given every line in stock, when the order is decided, then every line is reserved at the current prices', () => {
    given(stock(product('A', 5, 250), product('B', 1, 1000)))
      .when((s) => decideReservation([line('A', 2), line('B', 1)], s))
      .then((decision) =>
        expect(decision).toEqual({
          kind: 'reserve',
          lines: [
            { sku: 'A', quantity: 2, unitPriceCents: 250 },
            { sku: 'B', quantity: 1, unitPriceCents: 1000 },
          ],
          totalCents: 1500,
          currency: 'EUR',
          deltas: [
            { sku: 'A', available: -2, reserved: 2, shipped: 0 },
            { sku: 'B', available: -1, reserved: 1, shipped: 0 },
          ],
        }),
      );
  });

  it('given one line short, when the order is decided, then it is rejected whole, naming every problem', () => {
    given(stock(product('A', 5), product('B', 2)))
      .when((s) => decideReservation([line('A', 2), line('B', 3), line('ZZ', 1)], s))
      .then((decision) =>
        expect(decision).toEqual({
          kind: 'reject',
          reasons: [
            { sku: 'B', reason: 'OUT_OF_STOCK', requested: 3, available: 2 },
            { sku: 'ZZ', reason: 'UNKNOWN_SKU', requested: 1, available: 0 },
          ],
        }),
      );
  });

  it('counts the same SKU on several lines together', () => {
    expect(mergeLines([line('A', 2), line('A', 3)])).toEqual([line('A', 5)]);
    given(stock(product('A', 5)))
      .when((s) => decideReservation([line('A', 3), line('A', 3)], s))
      .then({ kind: 'reject' });
  });

  it("prices the order in its products' own currency", () => {
    // CURRENCIES holds only EUR today: the currency is the products', not one the decision assumes
    given(stock(product('A', 5, 100, 'CHF'), product('B', 5, 100, 'CHF')))
      .when((s) => decideReservation([line('A', 1), line('B', 1)], s))
      .then({ kind: 'reserve', currency: 'CHF', totalCents: 200 });
  });

  it('given products in two currencies, then it refuses the order under a dead-letter code, as StockRejected has no reason for it', () => {
    given(stock(product('A', 5, 100, 'EUR'), product('B', 5, 100, 'USD')))
      .when((s) => decideReservation([line('A', 1), line('B', 1)], s))
      .then({
        kind: 'refuse',
        code: MIXED_CURRENCIES,
        why: "the order's products are priced in EUR and USD (A in EUR, B in USD); an order is reserved in one currency",
      });
  });

  it('given products in two currencies and a line short, then the customer is told of the shortage (StockRejected)', () => {
    given(stock(product('A', 5, 100, 'EUR'), product('B', 0, 100, 'USD')))
      .when((s) => decideReservation([line('A', 1), line('B', 1)], s))
      .then({ kind: 'reject', reasons: [{ sku: 'B', reason: 'OUT_OF_STOCK' }] });
  });

  it('reserves a SKU whose lines add up past the most one line may ask for, as a StockReserved that validates', () => {
    const lines = [line('AA', MAX_LINE_QUANTITY), line('BB', 1), line('AA', MAX_LINE_QUANTITY)];
    const decision = reserved(decideReservation(lines, stock(product('AA', 5000, 3), product('BB', 1, 7))));
    expect(decision.lines).toEqual([
      { sku: 'AA', quantity: 2 * MAX_LINE_QUANTITY, unitPriceCents: 3 },
      { sku: 'BB', quantity: 1, unitPriceCents: 7 },
    ]);
    // the event inventory then enqueues: before, its per-line limit was the order line's, and the outbox refused it
    expect(() => validateData(StockReservedV1, { lines: decision.lines, totalCents: decision.totalCents, currency: decision.currency })).not.toThrow();
    // one SKU on every line of the largest order still fits
    const most = Array.from({ length: MAX_ORDER_LINES }, () => line('AA', MAX_LINE_QUANTITY));
    const all = reserved(decideReservation(most, stock(product('AA', MAX_RESERVED_QUANTITY))));
    expect(() => validateData(StockReservedV1, { lines: all.lines, totalCents: all.totalCents, currency: all.currency })).not.toThrow();
  });
});

describe('reservation steps', () => {
  it.each([
    ['RESERVED', 'release', 'RELEASED'],
    ['RESERVED', 'ship', 'SHIPPED'],
    ['SHIPPED', 'return', 'RELEASED'],
    ['RELEASED', 'release', null],
    ['RELEASED', 'ship', null],
    ['SHIPPED', 'release', null],
    ['RESERVED', 'return', null],
  ] as const)('%s --%s--> %s', (from, step, to) => {
    expect(nextReservationStatus(from, step)).toBe(to);
  });
});

describe("how a step moves the reservation's units", () => {
  const lines = [
    { sku: 'A', quantity: 2, unitPriceCents: 100 },
    { sku: 'B', quantity: 5, unitPriceCents: 10 },
  ];
  const reservation = (status: Reservation['status']) => ({ status, lines });

  it.each([
    ['reserve', { available: -2, reserved: 2, shipped: 0 }],
    ['release', { available: 2, reserved: -2, shipped: 0 }],
    ['ship', { available: 0, reserved: -2, shipped: 2 }],
    ['return', { available: 2, reserved: 0, shipped: -2 }],
  ] as const)('%s moves every unit of each line, and the counters still add up to what was received', (move, a) => {
    const deltas = stockDeltas(move, lines);
    expect(deltas[0]).toEqual({ sku: 'A', ...a });
    expect(deltas[1]).toEqual({ sku: 'B', available: a.available * 2.5, reserved: a.reserved * 2.5, shipped: a.shipped * 2.5 });
    for (const d of deltas) expect(d.available + d.reserved + d.shipped).toBe(0);
  });

  it('given a RESERVED reservation, when its order is shipped, then it is SHIPPED and its units leave reserved for shipped', () => {
    given(reservation('RESERVED'))
      .when((r) => decideStep(r, 'ship'))
      .then({
        status: 'SHIPPED',
        deltas: [
          { sku: 'A', available: 0, reserved: -2, shipped: 2 },
          { sku: 'B', available: 0, reserved: -5, shipped: 5 },
        ],
      });
  });

  it('given a SHIPPED reservation, when its shipment is cancelled, then it is RELEASED and its units are back in stock', () => {
    given(reservation('SHIPPED'))
      .when((r) => decideStep(r, 'return'))
      .then({
        status: 'RELEASED',
        deltas: [
          { sku: 'A', available: 2, shipped: -2 },
          { sku: 'B', available: 5, shipped: -5 },
        ],
      });
  });

  it('given a reservation that has moved on, when a late or repeated step comes, then nothing moves', () => {
    given(reservation('RELEASED'))
      .when((r) => decideStep(r, 'release'))
      .then(null);
    given(reservation('REJECTED'))
      .when((r) => decideStep(r, 'ship'))
      .then(null);
  });
});

describe('a shipping event of another shipment', () => {
  const shipped = { orderId: 'o-1', shipmentId: 's-1' };

  it('contradicts a reservation whose units left with a shipment, naming both', () => {
    expect(shipmentConflict(shipped, 's-2')).toBe('order o-1: its units left with shipment s-1, this event is of shipment s-2');
  });

  it('does not contradict the same shipment, an unshipped reservation, one shipped before shipments were recorded, or an event without one', () => {
    expect(shipmentConflict(shipped, 's-1')).toBeNull();
    expect(shipmentConflict({ orderId: 'o-1', shipmentId: null }, 's-2')).toBeNull();
    expect(shipmentConflict({ orderId: 'o-1' }, 's-2')).toBeNull();
    expect(shipmentConflict(shipped, undefined)).toBeNull();
  });
});
