import { randomUUID } from 'node:crypto';
import { DeadLetterHeaders, deadLetterTopicOf, EventHeaders, Topics } from '@app/contracts';
import { produce, query, readTopics, SagaStack, testKafka, waitUntil } from '@app/testing';
import { address, SagaClient } from './saga-client';

/**
 * A dead-lettered step ends its order at once (the deadline, 30 minutes by default here, would have
 * ended it much later), and only a step does: three processes, the real broker and databases.
 */
describe('orders ended by a dead letter (three processes, real broker and databases)', () => {
  let stack: SagaStack;
  let api: SagaClient;

  beforeAll(async () => {
    stack = await SagaStack.start();
    api = new SagaClient(stack);
    await api.product('DLT-1', 700, 10);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Messages of a topic the orders service's consumer group has read and committed. */
  async function consumedByOrders(topic: string): Promise<number> {
    const admin = testKafka(stack.brokers).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: stack.consumerGroup('orders'), topics: [stack.topic(topic)] });
      return offsets.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** A dead letter as a service's consumer writes one (DeadLetterPublisher), for a step named by the test. */
  async function deadLetter(topic: string, orderId: string, consumer: string, eventType: string, errorCode: string): Promise<void> {
    await produce(stack.brokers, stack.topic(deadLetterTopicOf(topic)), [
      {
        key: orderId,
        value: JSON.stringify({ orderId }),
        headers: {
          [EventHeaders.EventId]: randomUUID(),
          [EventHeaders.EventType]: eventType,
          [DeadLetterHeaders.Consumer]: consumer,
          [DeadLetterHeaders.ErrorCode]: errorCode,
          [DeadLetterHeaders.ErrorMessage]: 'injected by the test',
        },
      },
    ]);
  }

  it("inventory gives up on an order's OrderPlaced: the order is CANCELLED at once, naming inventory and its error; no stock moves", async () => {
    await stack.stopService('inventory');
    let id = '';
    try {
      const placed = await api.place({ customerId: 'poisoned', lines: [{ sku: 'DLT-1', quantity: 3 }], shippingAddress: address() });
      expect(placed.status).toBe(202);
      id = placed.body.id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      // a fault in inventory for this one order: its reservation can never be written
      await query(
        stack.databaseUrl('inventory'),
        `ALTER TABLE reservations ADD CONSTRAINT e2e_refuse_one_order CHECK (order_id <> '${id}' OR status <> 'RESERVED')`,
      );
    } finally {
      await stack.startService('inventory');
    }

    const order = await api.settle(id, ['CANCELLED'], 60_000);
    // the customer sees which service and step failed; the error's text (SQL here) stays in the services' logs
    expect(order.statusReason).toBe('inventory could not process OrderPlaced (HANDLER_FAILED); cancelled by the system');
    expect(order.timeline.map((t: any) => t.status)).toEqual(['PENDING', 'CANCELLED']);
    const letters = await readTopics(stack.brokers, [stack.topic(deadLetterTopicOf(Topics.OrdersEvents))], { idleMs: 1000, timeoutMs: 10_000 });
    expect(letters.filter((m) => m.key!.toString() === id).map((m) => m.headers![DeadLetterHeaders.Consumer]!.toString())).toEqual(['inventory']);

    // inventory applied the cancellation (a release of nothing); shipping never had stock reserved to ship
    await waitUntil('inventory to record the cancellation', async () => (await api.json('inventory', `/reservations/${id}`)).body?.status === 'RELEASED');
    expect(await api.settledStock('DLT-1')).toEqual({ available: 10, reserved: 0, shipped: 0, received: 10 });
    const shipment = await api.json('shipping', `/shipments/${id}`);
    expect(shipment.status === 404 || shipment.body.status === 'CANCELLED').toBe(true);
    await query(stack.databaseUrl('inventory'), 'ALTER TABLE reservations DROP CONSTRAINT e2e_refuse_one_order');
  });

  it('a dead letter of an event the order does not need, of a contract mismatch, or of a step it is past changes nothing', async () => {
    await stack.stopService('shipping'); // the order waits in RESERVED
    let id = '';
    try {
      const placed = await api.place({ customerId: 'not-stuck', lines: [{ sku: 'DLT-1', quantity: 2 }], shippingAddress: address() });
      id = placed.body.id;
      await api.settle(id, ['RESERVED']);
      const letters: [string, string, string, string][] = [
        // inventory could not mark a shipment shipped: bookkeeping for an operator, the order can still move on
        [Topics.ShippingEvents, 'inventory', 'ShipmentScheduled', 'HANDLER_FAILED'],
        // shipping met a StockReserved of a version it does not read (an upgrade under way): a replay will do
        [Topics.InventoryEvents, 'shipping', 'StockReserved', 'UNKNOWN_VERSION'],
        // inventory gave up on the OrderPlaced of an order it has since reserved (the letter read again later)
        [Topics.OrdersEvents, 'inventory', 'OrderPlaced', 'HANDLER_FAILED'],
      ];
      for (const [topic, consumer, eventType, errorCode] of letters) {
        const dlt = deadLetterTopicOf(topic);
        const before = await consumedByOrders(dlt);
        await deadLetter(topic, id, consumer, eventType, errorCode);
        await waitUntil(`orders to read the dead letter of ${eventType}`, async () => (await consumedByOrders(dlt)) === before + 1);
      }
      expect((await api.order(id)).status).toBe('RESERVED');
    } finally {
      await stack.startService('shipping');
    }
    expect(await api.settle(id)).toMatchObject({ status: 'CONFIRMED', timeline: [{ status: 'PENDING' }, { status: 'RESERVED' }, { status: 'CONFIRMED' }] });
    expect(await api.settledStock('DLT-1')).toEqual({ available: 8, reserved: 0, shipped: 2, received: 10 });
  });
});
