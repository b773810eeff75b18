import { MAX_LINE_QUANTITY, MAX_ORDER_LINES, MAX_RESERVED_QUANTITY, StockReservedV1, validateData } from '@app/contracts';
import { decideReservation, mergeLines, nextReservationStatus, ProductStock } from './stock';

const product = (sku: string, available: number, priceCents = 100): ProductStock => ({ sku, priceCents, currency: 'EUR', available, reserved: 0, shipped: 0 });
const stock = (...products: ProductStock[]) => new Map(products.map((p) => [p.sku, p]));
const line = (sku: string, quantity: number) => ({ sku, quantity });

describe('reserving stock: all lines or none', () => {
  it('reserves every line at the current prices when all are available', () => {
    const decision = decideReservation([line('A', 2), line('B', 1)], stock(product('A', 5, 250), product('B', 1, 1000)));
    expect(decision).toEqual({
      ok: true,
      lines: [
        { sku: 'A', quantity: 2, unitPriceCents: 250 },
        { sku: 'B', quantity: 1, unitPriceCents: 1000 },
      ],
      totalCents: 1500,
      currency: 'EUR',
    });
  });

  it('rejects the whole order when one line is short, naming every problem', () => {
    const decision = decideReservation([line('A', 2), line('B', 3), line('ZZ', 1)], stock(product('A', 5), product('B', 2)));
    expect(decision).toEqual({
      ok: false,
      reasons: [
        { sku: 'B', reason: 'OUT_OF_STOCK', requested: 3, available: 2 },
        { sku: 'ZZ', reason: 'UNKNOWN_SKU', requested: 1, available: 0 },
      ],
    });
  });

  it('counts the same SKU on several lines together', () => {
    expect(mergeLines([line('A', 2), line('A', 3)])).toEqual([line('A', 5)]);
    expect(decideReservation([line('A', 3), line('A', 3)], stock(product('A', 5))).ok).toBe(false);
  });

  it('reserves a SKU whose lines add up past the most one line may ask for, as a StockReserved that validates', () => {
    const lines = [line('AA', MAX_LINE_QUANTITY), line('BB', 1), line('AA', MAX_LINE_QUANTITY)];
    const decision = decideReservation(lines, stock(product('AA', 5000, 3), product('BB', 1, 7)));
    if (!decision.ok) throw new Error('expected a reservation');
    expect(decision.lines).toEqual([
      { sku: 'AA', quantity: 2 * MAX_LINE_QUANTITY, unitPriceCents: 3 },
      { sku: 'BB', quantity: 1, unitPriceCents: 7 },
    ]);
    // the event inventory then enqueues: before, its per-line limit was the order line's, and the outbox refused it
    expect(() => validateData(StockReservedV1, { lines: decision.lines, totalCents: decision.totalCents, currency: decision.currency })).not.toThrow();
    // one SKU on every line of the largest order still fits
    const most = Array.from({ length: MAX_ORDER_LINES }, () => line('AA', MAX_LINE_QUANTITY));
    const all = decideReservation(most, stock(product('AA', MAX_RESERVED_QUANTITY)));
    if (!all.ok) throw new Error('expected a reservation');
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
