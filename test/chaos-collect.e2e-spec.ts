import { randomUUID } from 'node:crypto';
import { DataSource, MigrationInterface } from 'typeorm';
import { anEnvelope } from '@app/testing/events';
import { createDatabase, dropDatabase, produce, query, testKafka, uniqueTopicPrefix, sharedInfra } from '@app/testing';
import { EventClass, OrderPlacedV1, ShipmentScheduledV1, StockReservedV1 } from '@app/contracts';
import { ORDERS_MIGRATIONS } from '../apps/orders/src/persistence/migrations';
import { Inventory1732300000200 } from '../apps/inventory/src/persistence/migrations/1732300000200-inventory';
import { ReservationRejected1764900000000 } from '../apps/inventory/src/persistence/migrations/1764900000000-reservation-rejected';
import { ReservationShipment1764900000100 } from '../apps/inventory/src/persistence/migrations/1764900000100-reservation-shipment';
import { Shipping1732300000300 } from '../apps/shipping/src/persistence/migrations/1732300000300-shipping';
import { collect } from '../chaos/collect';
import { PlacedOrder } from '../chaos/model';

/** A fresh database with a service's own migrations, as the chaos run's services leave theirs. */
async function migratedDatabase(prefix: string, migrations: (new () => MigrationInterface)[]): Promise<string> {
  const url = await createDatabase(prefix);
  const dataSource = new DataSource({ type: 'postgres', url, migrations });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
  return url;
}

/**
 * The chaos collector against the real broker and PostgreSQL: the rows of the three services' databases, and
 * every record of the three event topics of a prefix (three partitions each), redeliveries and unreadable
 * records kept as they are on the log.
 */
describe('chaos collect (real broker and databases)', () => {
  const prefix = uniqueTopicPrefix();
  const urls = { orders: '', inventory: '', shipping: '' };

  beforeAll(async () => {
    [urls.orders, urls.inventory, urls.shipping] = await Promise.all([
      migratedDatabase('chaos_orders', ORDERS_MIGRATIONS),
      migratedDatabase('chaos_inventory', [Inventory1732300000200, ReservationRejected1764900000000, ReservationShipment1764900000100]),
      migratedDatabase('chaos_shipping', [Shipping1732300000300]),
    ]);
    const admin = testKafka(sharedInfra().brokers).admin();
    await admin.connect();
    try {
      const topics = ['orders.events', 'inventory.events', 'shipping.events'].map((t) => ({ topic: `${prefix}${t}`, numPartitions: 3 }));
      await admin.createTopics({ topics, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(urls).map((url) => url && dropDatabase(url)));
  });

  it("reads the databases' rows, finds an unanswered order by its key, and every record of the topics to their end", async () => {
    const { brokers } = sharedInfra();
    const confirmed = randomUUID();
    const unanswered = randomUUID();
    const shipmentId = randomUUID();
    const lines = [{ sku: 'CH-1', quantity: 2 }];

    await query(
      urls.orders,
      `INSERT INTO orders (id, customer_id, status, lines, shipping_address, shipment, status_reason, correlation_id, created_at, updated_at)
       VALUES ($1, 'c', 'CONFIRMED', $3, '{}', $4, NULL, 'corr', now(), now()), ($2, 'c', 'PENDING', $3, '{}', NULL, 'waiting', 'corr', now(), now())`,
      [confirmed, unanswered, JSON.stringify(lines), JSON.stringify({ shipmentId, carrier: 'DHL', estimatedDelivery: '2030-01-01', status: 'SCHEDULED' })],
    );
    const placedEvent = randomUUID();
    await query(
      urls.orders,
      `INSERT INTO order_timeline (order_id, event_id, type, status, occurred_at) VALUES ($1, $2, 'OrderPlaced', 'PENDING', now()), ($1, $3, 'ShipmentScheduled', 'CONFIRMED', now())`,
      [confirmed, placedEvent, randomUUID()],
    );
    await query(
      urls.orders,
      `INSERT INTO idempotency_keys (key, request_hash, order_id, response_status, response_body) VALUES ('key-2', 'h', $1, 202, '{}')`,
      [unanswered],
    );
    await query(
      urls.inventory,
      `INSERT INTO products (sku, name, price_cents, currency, available, reserved, shipped, received, updated_at)
       VALUES ('CH-1', 'one', 100, 'EUR', 8, 0, 2, 10, now()), ('OTHER', 'not ours', 100, 'EUR', 1, 0, 0, 1, now())`,
    );
    await query(
      urls.inventory,
      `INSERT INTO reservations (order_id, status, lines, total_cents, created_at, updated_at, shipment_id) VALUES ($1, 'SHIPPED', $2, 200, now(), now(), $3)`,
      [confirmed, JSON.stringify([{ sku: 'CH-1', quantity: 2, unitPriceCents: 100 }]), shipmentId],
    );
    await query(
      urls.shipping,
      `INSERT INTO shipments (id, order_id, status, carrier, country, created_at, updated_at) VALUES ($1, $2, 'SCHEDULED', 'DHL', 'DE', now(), now())`,
      [shipmentId, confirmed],
    );

    const envelope = <T extends object>(eventClass: EventClass<T>, data: object, orderId: string, id = randomUUID()) =>
      JSON.stringify(anEnvelope(eventClass, data as T, { orderId, id }));
    const order = { customerId: 'c', lines, shippingAddress: {} };
    const placedValue = envelope(OrderPlacedV1, order, confirmed, placedEvent);
    // one record per partition of orders.events, the first of them published again; one record that is no envelope
    await produce(brokers, `${prefix}orders.events`, [
      { partition: 0, key: confirmed, value: placedValue },
      { partition: 1, key: unanswered, value: envelope(OrderPlacedV1, order, unanswered) },
      { partition: 2, key: 'garbage', value: 'not json' },
      { partition: 0, key: confirmed, value: placedValue },
    ]);
    await produce(brokers, `${prefix}inventory.events`, [{ partition: 1, key: confirmed, value: envelope(StockReservedV1, { lines: [] }, confirmed) }]);
    await produce(brokers, `${prefix}shipping.events`, [{ partition: 2, key: confirmed, value: envelope(ShipmentScheduledV1, { shipmentId }, confirmed) }]);

    const placedOrders: PlacedOrder[] = [
      { orderId: confirmed, idempotencyKey: 'key-1', intent: 'confirm', lines, acked: true, placedAt: 1 },
      { orderId: null, idempotencyKey: 'key-2', intent: 'confirm', lines, acked: false, placedAt: 2 },
      { orderId: null, idempotencyKey: 'key-3', intent: 'confirm', lines, acked: false, placedAt: 3 },
    ];
    const o = await collect({ placed: placedOrders, initialStock: { 'CH-1': 10 }, databaseUrls: urls, brokers, topicPrefix: prefix, skus: ['CH-1'] });

    expect(o.placed.map((p) => p.orderId)).toEqual([confirmed, unanswered, null]);
    expect(placedOrders[1].orderId).toBeNull(); // the caller's record is left as it was
    expect(o.initialStock).toEqual({ 'CH-1': 10 });
    expect(o.addedStock).toEqual({});
    expect(o.orders.sort((a, b) => (a.status < b.status ? -1 : 1))).toEqual([
      { id: confirmed, status: 'CONFIRMED', lines, statusReason: null, shipmentStatus: 'SCHEDULED', shipmentId },
      { id: unanswered, status: 'PENDING', lines, statusReason: 'waiting', shipmentStatus: null, shipmentId: null },
    ]);
    expect(o.timeline).toEqual([
      { id: expect.any(Number), orderId: confirmed, eventId: placedEvent, type: 'OrderPlaced', status: 'PENDING' },
      { id: expect.any(Number), orderId: confirmed, eventId: expect.any(String), type: 'ShipmentScheduled', status: 'CONFIRMED' },
    ]);
    expect(o.timeline[0].id).toBeLessThan(o.timeline[1].id);
    expect(o.products).toEqual([{ sku: 'CH-1', available: 8, reserved: 0, shipped: 2, received: 10 }]);
    expect(o.reservations).toEqual([{ orderId: confirmed, status: 'SHIPPED', lines, shipmentId }]);
    expect(o.shipments).toEqual([{ id: shipmentId, orderId: confirmed, status: 'SCHEDULED' }]);

    const events = o.events.map((e) => [e.topic, e.partition, e.offset, e.key, e.type, e.orderId]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['orders.events', 0, '0', confirmed, 'OrderPlaced', confirmed],
        ['orders.events', 0, '1', confirmed, 'OrderPlaced', confirmed],
        ['orders.events', 1, '0', unanswered, 'OrderPlaced', unanswered],
        ['orders.events', 2, '0', 'garbage', null, null],
        ['inventory.events', 1, '0', confirmed, 'StockReserved', confirmed],
        ['shipping.events', 2, '0', confirmed, 'ShipmentScheduled', confirmed],
      ]),
    );
    expect(o.events).toHaveLength(6);
    expect(o.events.filter((e) => e.eventId === placedEvent)).toHaveLength(2);
    expect(o.events.find((e) => e.key === 'garbage')?.eventId).toBeNull();
  });
});
