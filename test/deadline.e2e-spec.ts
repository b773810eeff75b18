import { SagaStack, waitUntil } from '@app/testing';
import { address, SagaClient } from './saga-client';

const DEADLINE_SECONDS = 6;

/** The saga deadline: an order that cannot move on still ends in a final state, and stock is conserved. */
describe('order deadline (three processes, real broker and databases)', () => {
  let stack: SagaStack;
  let api: SagaClient;

  beforeAll(async () => {
    stack = await SagaStack.start({ orders: { ORDER_DEADLINE_SECONDS: String(DEADLINE_SECONDS) } });
    api = new SagaClient(stack);
    await api.product('DL-1', 500, 10);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('an order stuck in PENDING is cancelled by the system after the deadline; its late reservation is released', async () => {
    await stack.stopService('inventory'); // nothing answers OrderPlaced
    let id: string;
    try {
      const placed = await api.place({ customerId: 'stuck', lines: [{ sku: 'DL-1', quantity: 3 }], shippingAddress: address() });
      expect(placed.status).toBe(202);
      id = placed.body.id;
      const order = await api.settle(id, ['CANCELLED'], 30_000);
      expect(order.statusReason).toBe(`not final ${DEADLINE_SECONDS} s after it was placed: cancelled by the system`);
      expect(order.timeline.map((t: any) => t.status)).toEqual(['PENDING', 'CANCELLED']);
      const waited = Date.parse(order.updatedAt) - Date.parse(order.createdAt);
      expect(waited).toBeGreaterThanOrEqual(DEADLINE_SECONDS * 1000);
    } finally {
      await stack.startService('inventory');
    }

    // inventory now reads OrderPlaced (reserves 3) and then OrderCancelled (releases them)
    await waitUntil('the late reservation to be released', async () => (await api.json('inventory', `/reservations/${id}`)).body?.status === 'RELEASED');
    expect(await api.settledStock('DL-1')).toEqual({ available: 10, reserved: 0, shipped: 0, received: 10 });
    const shipment = await api.json('shipping', `/shipments/${id}`);
    expect(shipment.status === 404 || shipment.body.status === 'CANCELLED').toBe(true);
    expect((await api.order(id)).status).toBe('CANCELLED');
  });

  it('an order that moves on in time is left alone', async () => {
    const placed = await api.place({ customerId: 'on-time', lines: [{ sku: 'DL-1', quantity: 2 }], shippingAddress: address() });
    const order = await api.settle(placed.body.id);
    expect(order.status).toBe('CONFIRMED');
    await new Promise((r) => setTimeout(r, (DEADLINE_SECONDS + 2) * 1000)); // past the deadline and a scan
    expect(await api.order(placed.body.id)).toMatchObject({
      status: 'CONFIRMED',
      timeline: [{ status: 'PENDING' }, { status: 'RESERVED' }, { status: 'CONFIRMED' }],
    });
    expect(await api.settledStock('DL-1')).toEqual({ available: 8, reserved: 0, shipped: 2, received: 10 });
  });
});
