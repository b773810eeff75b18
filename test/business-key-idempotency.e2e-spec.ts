import { randomUUID } from 'node:crypto';
import { CONFLICTING_FACT, DeadLetterHeaders, deadLetterTopicOf, EventHeaders, Topics } from '@app/contracts';
import { produce, ReadMessage, readTopics, SagaStack, testKafka, waitUntil } from '@app/testing';
import { address, SagaClient } from './saga-client';

/**
 * The same business event under a new event id (a producer retrying outside the outbox, a replay, an
 * operator's re-send) changes nothing, and a conflicting one is dead-lettered: three processes, real broker.
 */
describe('idempotency by business key (three processes, real broker and databases)', () => {
  let stack: SagaStack;
  let api: SagaClient;

  beforeAll(async () => {
    stack = await SagaStack.start();
    api = new SagaClient(stack);
    await api.product('BK-1', 400, 0);
    await api.product('BK-2', 900, 10);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The event of `type` for `orderId` as its producer's relay wrote it to `topic`. */
  async function original(topic: string, orderId: string, type: string): Promise<ReadMessage> {
    return waitUntil(`${type} of ${orderId} on ${topic}`, async () => {
      const messages = await readTopics(stack.brokers, [stack.topic(topic)], { idleMs: 500, timeoutMs: 10_000 });
      return messages.find((m) => m.key?.toString() === orderId && m.headers?.[EventHeaders.EventType]?.toString() === type);
    });
  }

  /** Produces `message` again under a new event id (and `data` changed by `patch`), as an operator's re-send would. */
  async function resend(topic: string, message: ReadMessage, patch: Record<string, unknown> = {}): Promise<string> {
    const envelope = JSON.parse(message.value!.toString());
    const id = randomUUID();
    const value = JSON.stringify({ ...envelope, id, data: { ...envelope.data, ...patch } });
    const headers = { ...message.headers, [EventHeaders.EventId]: id };
    await produce(stack.brokers, stack.topic(topic), [{ key: message.key, value, headers }]);
    return id;
  }

  /** Waits until each service's consumer group has committed every message now on `topic`: it has handled the re-sent one. */
  async function consumedToTheEnd(topic: string, services: ('orders' | 'inventory' | 'shipping')[]): Promise<void> {
    const admin = testKafka(stack.brokers).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(stack.topic(topic));
      for (const service of services) {
        const groupId = stack.consumerGroup(service);
        await waitUntil(`${groupId} to consume ${topic} to its end`, async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [stack.topic(topic)] });
          // a partition never committed to (-1) has nothing to consume only while it is empty
          return ends.every((end) => Math.max(0, Number(committed.partitions.find((p) => p.partition === end.partition)?.offset ?? -1)) >= Number(end.high));
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  it('an OrderPlaced re-sent for a REJECTED order after stock arrived reserves, ships and changes nothing', async () => {
    const placed = await api.place({ customerId: 'late', lines: [{ sku: 'BK-1', quantity: 1 }], shippingAddress: address() });
    const rejected = await api.settle(placed.body.id);
    expect(rejected.status).toBe('REJECTED');
    await api.product('BK-1', 400, 5);

    await resend(Topics.OrdersEvents, await original(Topics.OrdersEvents, rejected.id, 'OrderPlaced'));
    await consumedToTheEnd(Topics.OrdersEvents, ['inventory', 'shipping']);
    await consumedToTheEnd(Topics.InventoryEvents, ['orders', 'shipping']);

    expect((await api.json('inventory', `/reservations/${rejected.id}`)).body).toMatchObject({ status: 'REJECTED', lines: [] });
    expect(await api.stock('BK-1')).toEqual({ available: 5, reserved: 0, shipped: 0, received: 5 });
    expect((await api.json('shipping', `/shipments/${rejected.id}`)).status).toBe(404);
    expect(await api.order(rejected.id)).toEqual(rejected);
  });

  it('a StockReserved re-sent for a CONFIRMED order adds no timeline entry', async () => {
    const placed = await api.place({ customerId: 'twice', lines: [{ sku: 'BK-2', quantity: 1 }], shippingAddress: address() });
    const confirmed = await api.settle(placed.body.id);
    expect(confirmed.status).toBe('CONFIRMED');

    await resend(Topics.InventoryEvents, await original(Topics.InventoryEvents, confirmed.id, 'StockReserved'));
    await consumedToTheEnd(Topics.InventoryEvents, ['orders', 'shipping']);

    expect(await api.order(confirmed.id)).toEqual(confirmed);
    expect((await api.json('shipping', `/shipments/${confirmed.id}`)).body.id).toBe(confirmed.shipment.shipmentId);
  });

  it('a ShipmentScheduled re-sent with another shipment id is dead-lettered as a conflict; the order keeps its shipment', async () => {
    const placed = await api.place({ customerId: 'other-shipment', lines: [{ sku: 'BK-2', quantity: 1 }], shippingAddress: address() });
    const confirmed = await api.settle(placed.body.id);
    expect(confirmed.status).toBe('CONFIRMED');
    const stockBefore = await api.settledStock('BK-2');

    const otherShipment = randomUUID();
    const resentId = await resend(Topics.ShippingEvents, await original(Topics.ShippingEvents, confirmed.id, 'ShipmentScheduled'), { shipmentId: otherShipment });
    await consumedToTheEnd(Topics.ShippingEvents, ['orders', 'inventory']);

    expect(await api.order(confirmed.id)).toEqual(confirmed);
    expect(await api.stock('BK-2')).toEqual(stockBefore);
    // both services that recorded the shipment set the contradicting one aside
    expect(await conflictsOf(resentId, 2)).toEqual([
      { consumer: 'inventory', code: CONFLICTING_FACT, names: true },
      { consumer: 'orders', code: CONFLICTING_FACT, names: true },
    ]);
    async function conflictsOf(eventId: string, expected: number) {
      const letters = await readTopics(stack.brokers, [stack.topic(deadLetterTopicOf(Topics.ShippingEvents))], { idleMs: 1000, timeoutMs: 20_000 });
      const mine = letters.filter((m) => m.headers?.[EventHeaders.EventId]?.toString() === eventId);
      expect(mine).toHaveLength(expected);
      return mine
        .map((m) => ({
          consumer: m.headers![DeadLetterHeaders.Consumer]!.toString(),
          code: m.headers![DeadLetterHeaders.ErrorCode]!.toString(),
          names: m.headers![DeadLetterHeaders.ErrorMessage]!.toString().includes(otherShipment),
        }))
        .sort((a, b) => a.consumer.localeCompare(b.consumer));
    }
    // a conflict is an operator's to look at: it does not cancel the order
    await consumedToTheEnd(deadLetterTopicOf(Topics.ShippingEvents), ['orders']);
    expect((await api.order(confirmed.id)).status).toBe('CONFIRMED');
  });

  it('a ShipmentCancelled re-sent with another shipment id returns no stock: the units stay shipped', async () => {
    const placed = await api.place({ customerId: 'other-cancel', lines: [{ sku: 'BK-2', quantity: 2 }], shippingAddress: address() });
    const confirmed = await api.settle(placed.body.id);
    expect(confirmed.status).toBe('CONFIRMED');
    const stockBefore = await api.settledStock('BK-2');
    const scheduled = await original(Topics.ShippingEvents, confirmed.id, 'ShipmentScheduled');
    const envelope = JSON.parse(scheduled.value!.toString());
    const forged = { ...envelope, id: randomUUID(), type: 'ShipmentCancelled', data: { shipmentId: randomUUID() } };
    await produce(stack.brokers, stack.topic(Topics.ShippingEvents), [
      { key: scheduled.key, value: JSON.stringify(forged), headers: { ...scheduled.headers, [EventHeaders.EventId]: forged.id, [EventHeaders.EventType]: 'ShipmentCancelled' } },
    ]);
    await consumedToTheEnd(Topics.ShippingEvents, ['orders', 'inventory']);

    expect(await api.stock('BK-2')).toEqual(stockBefore);
    expect((await api.json('inventory', `/reservations/${confirmed.id}`)).body.status).toBe('SHIPPED');
    expect(await api.order(confirmed.id)).toEqual(confirmed);
  });
});
