import { randomUUID } from 'node:crypto';
import { deadLetterTopicOf, EventEnvelope, headersOf, OrderCancelledV1, OrderPlacedV1, readDeadLetter, Topics } from '@app/contracts';
import { anEnvelope, produce, query, readTopics, serviceForSuite, waitUntil } from '@app/testing';
import { MAX_STOCK_UNITS } from '../src/application/catalog.service';
import { inventoryService } from '../src/inventory.definition';

/** An OrderPlaced of these lines, to a served address. */
function orderPlaced(orderId: string, lines: OrderPlacedV1['lines'], customerId = 'customer-1', correlationId = randomUUID()): EventEnvelope<OrderPlacedV1> {
  const shippingAddress = { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  return anEnvelope(OrderPlacedV1, { customerId, lines, shippingAddress }, { orderId, correlationId });
}

describe('an event on a contracts topic reaches an @OnEvent handler (real Kafka, real PostgreSQL)', () => {
  const suite = serviceForSuite(inventoryService, { ADMIN_TOKEN: 'test-admin-token-0123456789' });
  const { brokers, prefix } = suite;
  const q = (sql: string, params?: unknown[]) => query(suite.databaseUrl, sql, params);

  it('an OrderPlaced that arrives after its order was cancelled (replayed from the dead-letter topic) reserves nothing', async () => {
    const orderId = randomUUID();
    const correlationId = randomUUID();
    const cancelled = anEnvelope(OrderCancelledV1, { reason: 'deadline' }, { orderId, correlationId });
    const placed = orderPlaced(orderId, [{ sku: 'KB-001', quantity: 2 }], 'customer-2', correlationId);
    const [before] = await q(`SELECT available, reserved FROM products WHERE sku = 'KB-001'`);
    const topic = `${prefix}${Topics.OrdersEvents}`;
    await produce(brokers, topic, [{ key: orderId, value: JSON.stringify(cancelled), headers: headersOf(cancelled) }]);
    await waitUntil('the cancellation to be recorded', () => q('SELECT 1 FROM inbox WHERE event_id = $1', [cancelled.id]).then((r) => r.length > 0));
    await produce(brokers, topic, [{ key: orderId, value: JSON.stringify(placed), headers: headersOf(placed) }]);
    await waitUntil('the late OrderPlaced to be consumed', () => q('SELECT 1 FROM inbox WHERE event_id = $1', [placed.id]).then((r) => r.length > 0));

    expect(await q('SELECT status, lines, total_cents FROM reservations WHERE order_id = $1', [orderId])).toEqual([
      { status: 'RELEASED', lines: [], total_cents: '0' },
    ]);
    expect(await q(`SELECT available, reserved FROM products WHERE sku = 'KB-001'`)).toEqual([before]);
    const published = await readTopics(brokers, [`${prefix}${Topics.InventoryEvents}`], { idleMs: 1500, timeoutMs: 10_000 });
    expect(published.filter((m) => m.key!.toString() === orderId)).toEqual([]);
  });

  it('OrderPlaced on orders.events becomes a reservation in the inventory database and StockReserved on inventory.events', async () => {
    const orderId = randomUUID();
    const envelope = orderPlaced(orderId, [{ sku: 'KB-001', quantity: 3 }]);
    const [before] = await q(`SELECT available, reserved FROM products WHERE sku = 'KB-001'`);

    await produce(brokers, `${prefix}${Topics.OrdersEvents}`, [{ key: orderId, value: JSON.stringify(envelope), headers: headersOf(envelope) }]);

    const [reservation] = await waitUntil('the reservation row', () =>
      q('SELECT status, total_cents FROM reservations WHERE order_id = $1', [orderId]).then((r) => r[0] && r),
    );
    expect(reservation).toEqual({ status: 'RESERVED', total_cents: String(3 * 8999) });
    const [after] = await q(`SELECT available, reserved FROM products WHERE sku = 'KB-001'`);
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

  it('an order with one SKU on several lines is reserved as one line of their sum, even past the most one line may ask for', async () => {
    const orderId = randomUUID();
    // each line within MAX_LINE_QUANTITY (1000), their sum not
    const envelope = orderPlaced(orderId, [
      { sku: 'CBL-USB-C', quantity: 600 },
      { sku: 'MS-001', quantity: 1 },
      { sku: 'CBL-USB-C', quantity: 700 },
    ]);
    const [before] = await q(`SELECT available, reserved FROM products WHERE sku = 'CBL-USB-C'`);
    await produce(brokers, `${prefix}${Topics.OrdersEvents}`, [{ key: orderId, value: JSON.stringify(envelope), headers: headersOf(envelope) }]);

    const published = await waitUntil(
      'StockReserved for the order',
      async () => {
        const mine = (await readTopics(brokers, [`${prefix}${Topics.InventoryEvents}`], { idleMs: 500, timeoutMs: 5000 })).filter(
          (m) => m.key!.toString() === orderId,
        );
        return mine.length > 0 ? mine : null;
      },
      { timeoutMs: 30_000 },
    );
    expect(JSON.parse(published![0].value!.toString())).toMatchObject({
      type: 'StockReserved',
      data: {
        lines: [
          { sku: 'CBL-USB-C', quantity: 1300, unitPriceCents: 999 },
          { sku: 'MS-001', quantity: 1, unitPriceCents: 2999 },
        ],
        totalCents: 1300 * 999 + 2999,
      },
    });
    expect(await q(`SELECT available, reserved FROM products WHERE sku = 'CBL-USB-C'`)).toEqual([
      { available: before.available - 1300, reserved: before.reserved + 1300 },
    ]);
    const dead = await readTopics(brokers, [`${prefix}${Topics.OrdersEvents}.dlt`], { idleMs: 500, timeoutMs: 2000 }).catch(() => []);
    expect(dead).toEqual([]);
  });
  it('an order of products priced in two currencies reserves nothing, and its OrderPlaced is dead-lettered as MIXED_CURRENCIES', async () => {
    // CURRENCIES holds only EUR, so the API cannot make such a catalogue: as if a second currency had been added
    await q(`INSERT INTO products (sku, name, price_cents, currency, available, reserved, shipped, received, updated_at)
             VALUES ('USD-1', 'Priced in dollars', 100, 'USD', 10, 0, 0, 10, now())`);
    const orderId = randomUUID();
    const envelope = orderPlaced(orderId, [
      { sku: 'KB-001', quantity: 1 },
      { sku: 'USD-1', quantity: 1 },
    ]);
    const [before] = await q(`SELECT available, reserved FROM products WHERE sku = 'KB-001'`);
    await produce(brokers, `${prefix}${Topics.OrdersEvents}`, [{ key: orderId, value: JSON.stringify(envelope), headers: headersOf(envelope) }]);

    const dead = await waitUntil(
      'the dead letter of the OrderPlaced',
      async () => {
        const letters = await readTopics(brokers, [deadLetterTopicOf(`${prefix}${Topics.OrdersEvents}`)], { idleMs: 500, timeoutMs: 5000 }).catch(() => []);
        const mine = letters.filter((m) => m.key?.toString() === orderId);
        return mine.length > 0 ? mine : null;
      },
      { timeoutMs: 30_000 },
    );
    const letter = readDeadLetter(dead![0].key, dead![0].headers as Record<string, Buffer>);
    expect(letter).toMatchObject({ consumer: 'inventory', eventType: 'OrderPlaced', errorCode: 'MIXED_CURRENCIES' });
    expect(letter.errorMessage).toContain('priced in EUR and USD');
    expect(await q('SELECT 1 FROM reservations WHERE order_id = $1', [orderId])).toEqual([]);
    expect(await q(`SELECT available, reserved FROM products WHERE sku = 'KB-001'`)).toEqual([before]);
  });

  it('stock received past the most one product can hold is a 409 naming the limit, and changes nothing', async () => {
    const headers = { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' };
    const receive = (sku: string, quantity: number) =>
      fetch(`${suite.running.url}/products/${sku}/stock`, { method: 'POST', headers, body: JSON.stringify({ quantity }) }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    expect(
      (await fetch(`${suite.running.url}/products/FULL-1`, { method: 'PUT', headers, body: JSON.stringify({ name: 'Full', priceCents: 1 }) })).status,
    ).toBe(200);
    // as if it had taken 2,147 receipts of a million units already (the columns are int4)
    const nearlyFull = MAX_STOCK_UNITS - 500_000;
    await q(`UPDATE products SET available = $1, received = $1 WHERE sku = 'FULL-1'`, [nearlyFull]);

    const refused = await receive('FULL-1', 1_000_000);
    expect(refused).toEqual({
      status: 409,
      body: {
        statusCode: 409,
        error: 'CONFLICT',
        code: 'STOCK_LIMIT',
        message: `product FULL-1 has received ${nearlyFull} units; 1000000 more would pass the most one product can hold (${MAX_STOCK_UNITS})`,
      },
    });
    expect(await q(`SELECT available, received FROM products WHERE sku = 'FULL-1'`)).toEqual([{ available: nearlyFull, received: nearlyFull }]);
    // up to the limit itself is fine; an unknown product is still a 404
    expect(await receive('FULL-1', 500_000)).toMatchObject({ status: 201, body: { available: MAX_STOCK_UNITS, received: MAX_STOCK_UNITS } });
    expect(await receive('NO-SUCH-SKU', 1)).toMatchObject({ status: 404, body: { code: 'PRODUCT_NOT_FOUND' } });
  });
});
