import { SagaStack } from '@app/testing';
import { address, SagaClient } from './saga-client';

describe('stock under concurrency and restarts (three processes, real broker and databases)', () => {
  let stack: SagaStack;
  let api: SagaClient;

  beforeAll(async () => {
    stack = await SagaStack.start();
    api = new SagaClient(stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('200 concurrent orders for 50 units: exactly 50 confirmed, the rest rejected, stock conserved', async () => {
    await api.product('HOT-1', 1000, 50);
    const placed = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api.place({ customerId: `rush-${i}`, lines: [{ sku: 'HOT-1', quantity: 1 }], shippingAddress: address() })),
    );
    expect(placed.every((p) => p.status === 202)).toBe(true);
    const orders = await Promise.all(placed.map((p) => api.settle(p.body.id, undefined, 120_000)));
    const count = (s: string) => orders.filter((o) => o.status === s).length;
    expect({ confirmed: count('CONFIRMED'), rejected: count('REJECTED') }).toEqual({ confirmed: 50, rejected: 150 });
    expect(await api.settledStock('HOT-1')).toEqual({ available: 0, reserved: 0, shipped: 50, received: 50 });
  });

  it('multi-line orders over shared products, applied in batches on several partitions: all final, each unit counted once', async () => {
    const skus = ['MIX-A', 'MIX-B', 'MIX-C'];
    for (const sku of skus) await api.product(sku, 100, 40);
    // every pair of products, in both line orders: concurrent batches lock the same rows in different orders
    const pairs = skus.flatMap((a) => skus.filter((b) => b !== a).map((b) => [a, b]));
    const placed = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        api.place({ customerId: `mix-${i}`, lines: pairs[i % pairs.length].map((sku) => ({ sku, quantity: 1 })), shippingAddress: address() }),
      ),
    );
    expect(placed.every((p) => p.status === 202)).toBe(true);
    const orders = await Promise.all(placed.map((p) => api.settle(p.body.id, undefined, 120_000)));
    expect(orders.filter((o) => !['CONFIRMED', 'REJECTED'].includes(o.status))).toEqual([]);
    for (const sku of skus) {
      const confirmedUnits = orders.filter((o) => o.status === 'CONFIRMED' && o.lines.some((l: { sku: string }) => l.sku === sku)).length;
      const stock = await api.settledStock(sku);
      expect(stock).toEqual({ available: 40 - confirmedUnits, reserved: 0, shipped: confirmedUnits, received: 40 });
    }
    // 120 orders want 240 units of 120 in stock: at most 60 can be served, and stock ran out for the rest
    expect(orders.filter((o) => o.status === 'CONFIRMED').length).toBeLessThanOrEqual(60);
    expect(orders.filter((o) => o.status === 'REJECTED').length).toBeGreaterThanOrEqual(60);
  });

  it('every order reaches a final state when inventory crashes and shipping restarts in the middle of a batch', async () => {
    await api.product('BATCH-1', 500, 1000);
    const ids: string[] = [];
    const place = async (n: number) => {
      for (let i = 0; i < n; i++)
        ids.push(
          (await api.place({ customerId: 'batch', lines: [{ sku: 'BATCH-1', quantity: 2 }], shippingAddress: address(i % 5 === 0 ? 'US' : 'DE') })).body.id,
        );
    };
    await place(30);
    await stack.restart('inventory', 'crash', 500); // SIGKILL mid-stream, then start again
    await place(30);
    await stack.restart('shipping', 'graceful');
    await place(20);

    const orders = await Promise.all(ids.map((id) => api.settle(id, undefined, 120_000)));
    const failed = orders.filter((o) => o.status === 'FAILED').length;
    const confirmed = orders.filter((o) => o.status === 'CONFIRMED').length;
    expect(failed + confirmed).toBe(80);
    expect(failed).toBe(16); // every fifth order goes to an unserved country
    // each order applied once: no double reservation, no double release
    const stock = await api.settledStock('BATCH-1');
    expect(stock).toEqual({ available: 1000 - confirmed * 2, reserved: 0, shipped: confirmed * 2, received: 1000 });
  });
});
