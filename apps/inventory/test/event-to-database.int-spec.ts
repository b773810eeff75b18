import { randomUUID } from 'node:crypto';
import { EventEnvelope, headersOf, OrderPlacedV1, Topics } from '@app/contracts';
import { createDatabase, dropDatabase, produce, query, readTopics, RunningApp, sharedInfra, startInProcess, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { inventoryService } from '../src/inventory.service';

describe('an event on a contracts topic reaches an @EventPattern handler (real Kafka, real PostgreSQL)', () => {
  const { brokers } = sharedInfra();
  const prefix = uniqueTopicPrefix();
  let databaseUrl: string;
  let inventory: RunningApp;

  beforeAll(async () => {
    databaseUrl = await createDatabase('inventory');
    inventory = await startInProcess(inventoryService, { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, ADMIN_TOKEN: 'test-admin-token-0123456789' });
  });

  afterAll(async () => {
    await inventory?.close();
    await dropDatabase(databaseUrl);
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

    const [reservation] = await waitUntil('the reservation row', () => query(databaseUrl, 'SELECT status, total_cents FROM reservations WHERE order_id = $1', [orderId]).then((r) => r[0] && r));
    expect(reservation).toEqual({ status: 'RESERVED', total_cents: String(3 * 8999) });
    const [after] = await query(databaseUrl, `SELECT available, reserved FROM products WHERE sku = 'KB-001'`);
    expect(after).toEqual({ available: before.available - 3, reserved: before.reserved + 3 });

    const published = await readTopics(brokers, [`${prefix}${Topics.InventoryEvents}`], { expected: 1 });
    const event = JSON.parse(published[0].value!.toString());
    expect(published[0].key!.toString()).toBe(orderId);
    expect(event).toMatchObject({ type: 'StockReserved', orderId, causationId: envelope.id, correlationId: envelope.correlationId, data: { totalCents: 3 * 8999 } });
  });
});
