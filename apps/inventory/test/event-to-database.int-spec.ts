import { randomUUID } from 'node:crypto';
import { EventEnvelope, headersOf, OrderCancelledV1, OrderPlacedV1, Topics } from '@app/contracts';
import { createDatabase, dropDatabase, produce, query, readTopics, RunningApp, sharedInfra, startInProcess, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { inventoryService } from '../src/inventory.service';

describe('an event on a contracts topic reaches an @EventPattern handler (real Kafka, real PostgreSQL)', () => {
  const { brokers } = sharedInfra();
  const prefix = uniqueTopicPrefix();
  let databaseUrl: string;
  let inventory: RunningApp;

  beforeAll(async () => {
    databaseUrl = await createDatabase('inventory');
    inventory = await startInProcess(inventoryService, {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      ADMIN_TOKEN: 'test-admin-token-0123456789',
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await dropDatabase(databaseUrl);
  });

  it('an OrderPlaced that arrives after its order was cancelled (replayed from the dead-letter topic) reserves nothing', async () => {
    const orderId = randomUUID();
    const correlationId = randomUUID();
    const base = { version: 1, occurredAt: new Date().toISOString(), orderId, correlationId, causationId: null };
    const cancelled: EventEnvelope<OrderCancelledV1> = { ...base, id: randomUUID(), type: OrderCancelledV1.type, data: { reason: 'deadline' } };
    const placed: EventEnvelope<OrderPlacedV1> = {
      ...base,
      id: randomUUID(),
      type: OrderPlacedV1.type,
      data: {
        customerId: 'customer-2',
        lines: [{ sku: 'KB-001', quantity: 2 }],
        shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      },
    };
    const [before] = await query(databaseUrl, `SELECT available, reserved FROM products WHERE sku = 'KB-001'`);
    const topic = `${prefix}${Topics.OrdersEvents}`;
    await produce(brokers, topic, [{ key: orderId, value: JSON.stringify(cancelled), headers: headersOf(cancelled) }]);
    await waitUntil('the cancellation to be recorded', () =>
      query(databaseUrl, 'SELECT 1 FROM inbox WHERE event_id = $1', [cancelled.id]).then((r) => r.length > 0),
    );
    await produce(brokers, topic, [{ key: orderId, value: JSON.stringify(placed), headers: headersOf(placed) }]);
    await waitUntil('the late OrderPlaced to be consumed', () =>
      query(databaseUrl, 'SELECT 1 FROM inbox WHERE event_id = $1', [placed.id]).then((r) => r.length > 0),
    );

    expect(await query(databaseUrl, 'SELECT status, lines, total_cents FROM reservations WHERE order_id = $1', [orderId])).toEqual([
      { status: 'RELEASED', lines: [], total_cents: '0' },
    ]);
    expect(await query(databaseUrl, `SELECT available, reserved FROM products WHERE sku = 'KB-001'`)).toEqual([before]);
    const published = await readTopics(brokers, [`${prefix}${Topics.InventoryEvents}`], { idleMs: 1500, timeoutMs: 10_000 });
    expect(published.filter((m) => m.key!.toString() === orderId)).toEqual([]);
  });

  it('OrderPlaced on orders.events becomes a reservation in the inventory database and StockReserved on inventory.events', async () => {
    const orderId = randomUUID();
    const envelope: EventEnvelope<OrderPlacedV1> = {
      id: randomUUID(),
      type: OrderPlacedV1.type,
      version: OrderPlacedV1.version,
      occurredAt: new Date().toISOString(),
      orderId,
      correlationId: randomUUID(),
      causationId: null,
      data: {
        customerId: 'customer-1',
        lines: [{ sku: 'KB-001', quantity: 3 }],
        shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      },
    };
    const [before] = await query(databaseUrl, `SELECT available, reserved FROM products WHERE sku = 'KB-001'`);

    await produce(brokers, `${prefix}${Topics.OrdersEvents}`, [{ key: orderId, value: JSON.stringify(envelope), headers: headersOf(envelope) }]);

    const [reservation] = await waitUntil('the reservation row', () =>
      query(databaseUrl, 'SELECT status, total_cents FROM reservations WHERE order_id = $1', [orderId]).then((r) => r[0] && r),
    );
    expect(reservation).toEqual({ status: 'RESERVED', total_cents: String(3 * 8999) });
    const [after] = await query(databaseUrl, `SELECT available, reserved FROM products WHERE sku = 'KB-001'`);
    expect(after).toEqual({ available: before.available - 3, reserved: before.reserved + 3 });

    const published = await readTopics(brokers, [`${prefix}${Topics.InventoryEvents}`], { expected: 1 });
    const event = JSON.parse(published[0].value!.toString());
    expect(published[0].key!.toString()).toBe(orderId);
    expect(event).toMatchObject({
      type: 'StockReserved',
      orderId,
      causationId: envelope.id,
      correlationId: envelope.correlationId,
      data: { totalCents: 3 * 8999 },
    });
  });
});
