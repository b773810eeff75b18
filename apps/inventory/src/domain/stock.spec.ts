import { decideReservation, mergeLines, nextReservationStatus, ProductStock } from './stock';

const product = (sku: string, available: number, priceCents = 100): ProductStock => ({ sku, priceCents, currency: 'EUR', available, reserved: 0, shipped: 0 });
const stock = (...products: ProductStock[]) => new Map(products.map((p) => [p.sku, p]));
const line = (sku: string, quantity: number) => ({ sku, quantity });

describe('reserving stock: all lines or none', () => {
  it('reserves every line at the current prices when all are available', () => {
    const decision = decideReservation([line('A', 2), line('B', 1)], stock(product('A', 5, 250), product('B', 1, 1000)));
    expect(decision).toEqual({ ok: true, lines: [{ sku: 'A', quantity: 2, unitPriceCents: 250 }, { sku: 'B', quantity: 1, unitPriceCents: 1000 }], totalCents: 1500, currency: 'EUR' });
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
