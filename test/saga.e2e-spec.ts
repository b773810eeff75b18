import { SagaStack, waitUntil } from '@app/testing';
import { address, SagaClient } from './saga-client';

/** The order saga across three separate service processes, a real broker and real databases. */
describe('order saga, end to end over HTTP and Kafka', () => {
  let stack: SagaStack;
  let api: SagaClient;

  beforeAll(async () => {
    // LOG_LEVEL=log (the default; the test stacks run at warn): a line per event handled
    const logged = { LOG_LEVEL: 'log' };
    stack = await SagaStack.start({ orders: logged, inventory: logged, shipping: logged });
    api = new SagaClient(stack);
    await api.product('E2E-KB', 1500, 100);
    await api.product('E2E-RARE', 9900, 1);
    await api.product('E2E-SHIP', 700, 10);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('in stock: PENDING -> RESERVED -> CONFIRMED with a shipment; stock moves from available to shipped', async () => {
    const placed = await api.place({ customerId: 'alice', lines: [{ sku: 'E2E-KB', quantity: 2 }], shippingAddress: address('DE') });
    expect(placed.status).toBe(202);
    expect(placed.body.status).toBe('PENDING');
    expect(placed.headers.get('location')).toBe(`/orders/${placed.body.id}`);

    const order = await api.settle(placed.body.id);
    expect(order.status).toBe('CONFIRMED');
    expect(order.timeline.map((t: any) => t.status)).toEqual(['PENDING', 'RESERVED', 'CONFIRMED']);
    expect(order).toMatchObject({
      totalCents: 3000,
      currency: 'EUR',
      lines: [{ sku: 'E2E-KB', quantity: 2, unitPriceCents: 1500 }],
      shipment: { carrier: 'DHL', status: 'SCHEDULED' },
    });

    const shipment = await api.json('shipping', `/shipments/${order.id}`);
    expect(shipment.body).toMatchObject({ id: order.shipment.shipmentId, status: 'SCHEDULED', country: 'DE' });
    await waitUntil('stock to be shipped', async () => (await api.stock('E2E-KB')).shipped === 2);
    expect(await api.stock('E2E-KB')).toEqual({ available: 98, reserved: 0, shipped: 2, received: 100 });
  });

  it('logs JSON lines: each line of each service parses, and the order id ties its lines together in all three', async () => {
    const correlationId = `e2e-logs-${Date.now()}`;
    const placed = await api.place(
      { customerId: 'logan', lines: [{ sku: 'E2E-KB', quantity: 1 }], shippingAddress: address('DE') },
      { 'x-correlation-id': correlationId },
    );
    const order = await api.settle(placed.body.id);
    expect(order.status).toBe('CONFIRMED');

    const linesOf = (name: 'orders' | 'inventory' | 'shipping') => stack.services[name].logs().split('\n').filter(Boolean);
    const parsed = (name: 'orders' | 'inventory' | 'shipping') => linesOf(name).map((line) => JSON.parse(line) as Record<string, unknown>);
    const applied = (name: 'orders' | 'inventory' | 'shipping') =>
      parsed(name)
        .filter((l) => l.orderId === order.id && l.outcome === 'applied')
        .map((l) => l.eventType)
        .sort();
    // a line follows its event's commit (and inventory hears of the shipment after orders confirmed the order)
    await waitUntil(
      'each service to log the events of the order',
      async () => applied('orders').length >= 2 && applied('inventory').length >= 2 && applied('shipping').length >= 2,
    );

    for (const name of ['orders', 'inventory', 'shipping'] as const) {
      const notJson = linesOf(name).filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
      expect({ name, notJson }).toEqual({ name, notJson: [] });
      for (const line of parsed(name))
        expect(line).toMatchObject({ level: expect.any(String), time: expect.any(String), service: name, msg: expect.any(String) });
    }
    // one line per event each service applied, with the ids to follow the order (tracing is off: no traceId)
    expect(applied('orders')).toEqual(['ShipmentScheduled', 'StockReserved']);
    expect(applied('inventory')).toEqual(['OrderPlaced', 'ShipmentScheduled']);
    expect(applied('shipping')).toEqual(['OrderPlaced', 'StockReserved']);
    for (const name of ['orders', 'inventory', 'shipping'] as const) {
      for (const line of parsed(name).filter((l) => l.orderId === order.id && l.outcome)) {
        expect(line).toMatchObject({
          level: 'info',
          service: name,
          correlationId,
          eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          topic: expect.any(String),
        });
        expect(line.traceId).toBeUndefined();
      }
    }
    const placedLine = parsed('orders').find((l) => l.orderId === order.id && l.msg === 'order placed');
    expect(placedLine).toMatchObject({ level: 'info', service: 'orders', correlationId });
  });

  it('one SKU on two lines: reserved as their sum, both lines priced, CONFIRMED', async () => {
    const before = await api.stock('E2E-KB');
    const placed = await api.place({
      customerId: 'alice',
      lines: [
        { sku: 'E2E-KB', quantity: 1 },
        { sku: 'E2E-KB', quantity: 2 },
      ],
      shippingAddress: address('DE'),
    });
    const order = await api.settle(placed.body.id);
    expect(order).toMatchObject({
      status: 'CONFIRMED',
      totalCents: 4500,
      lines: [
        { sku: 'E2E-KB', quantity: 1, unitPriceCents: 1500 },
        { sku: 'E2E-KB', quantity: 2, unitPriceCents: 1500 },
      ],
    });
    expect((await api.json('inventory', `/reservations/${order.id}`)).body).toMatchObject({ status: 'SHIPPED', lines: [{ sku: 'E2E-KB', quantity: 3 }] });
    await waitUntil('stock to be shipped', async () => (await api.stock('E2E-KB')).shipped === before.shipped + 3);
    expect(await api.stock('E2E-KB')).toEqual({ ...before, available: before.available - 3, shipped: before.shipped + 3 });
  });

  it('out of stock: REJECTED with the reason, stock untouched', async () => {
    const placed = await api.place({ customerId: 'bob', lines: [{ sku: 'E2E-RARE', quantity: 5 }], shippingAddress: address() });
    const order = await api.settle(placed.body.id);
    expect(order.status).toBe('REJECTED');
    expect(order.statusReason).toBe('E2E-RARE: OUT_OF_STOCK (requested 5, available 1)');
    expect(await api.stock('E2E-RARE')).toEqual({ available: 1, reserved: 0, shipped: 0, received: 1 });
    expect((await api.json('shipping', `/shipments/${order.id}`)).status).toBe(404);
  });

  it('destination not served: FAILED, reserved stock released', async () => {
    const placed = await api.place({ customerId: 'carol', lines: [{ sku: 'E2E-SHIP', quantity: 3 }], shippingAddress: address('US') });
    const order = await api.settle(placed.body.id);
    expect(order.status).toBe('FAILED');
    expect(order.statusReason).toMatch(/DESTINATION_NOT_SERVED/);
    await waitUntil(
      'the reservation to be released',
      async () => (await api.stock('E2E-SHIP')).reserved === 0 && (await api.stock('E2E-SHIP')).available === 10,
    );
    expect((await api.json('inventory', `/reservations/${order.id}`)).body.status).toBe('RELEASED');
    expect((await api.json('shipping', `/shipments/${order.id}`)).body).toMatchObject({ status: 'FAILED', country: 'US' });
  });

  it('cancel while RESERVED: CANCELLED, stock released, any shipment cancelled; cancel after CONFIRMED: 409 and nothing changes', async () => {
    await stack.stopService('shipping'); // hold the order in RESERVED
    try {
      const placed = await api.place({ customerId: 'dave', lines: [{ sku: 'E2E-KB', quantity: 4 }], shippingAddress: address() });
      await api.settle(placed.body.id, ['RESERVED']);
      const cancelled = await api.json('orders', `/orders/${placed.body.id}/cancel`, { method: 'POST', body: JSON.stringify({ reason: 'changed my mind' }) });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('CANCELLED');
      await waitUntil(
        'the reservation to be released',
        async () => (await api.json('inventory', `/reservations/${placed.body.id}`)).body?.status === 'RELEASED',
      );

      const stockBefore = await api.stock('E2E-KB');
      await stack.startService('shipping');
      // shipping now reads OrderPlaced + OrderCancelled (orders.events) and StockReserved
      // (inventory.events) in either order: it ships nothing, or cancels what it scheduled
      await waitUntil('shipping to have caught up', async () => {
        const res = await api.json('shipping', `/shipments/${placed.body.id}`);
        return res.status === 404 ? (await api.json('shipping', '/health/ready')).status === 200 : res.body.status === 'CANCELLED';
      });
      await new Promise((r) => setTimeout(r, 1000));
      const shipment = await api.json('shipping', `/shipments/${placed.body.id}`);
      expect(shipment.status === 404 || shipment.body.status === 'CANCELLED').toBe(true);
      expect((await api.order(placed.body.id)).status).toBe('CANCELLED');
      expect((await api.json('inventory', `/reservations/${placed.body.id}`)).body.status).toBe('RELEASED');
      expect(await api.stock('E2E-KB')).toEqual(stockBefore);
    } finally {
      if (stack.services.shipping.child.exitCode !== null) await stack.startService('shipping');
    }

    const confirmed = await api.place({ customerId: 'dave', lines: [{ sku: 'E2E-KB', quantity: 1 }], shippingAddress: address() });
    await api.settle(confirmed.body.id, ['CONFIRMED']);
    const before = await api.stock('E2E-KB');
    const refused = await api.json('orders', `/orders/${confirmed.body.id}/cancel`, { method: 'POST' }); // no body: the reason is optional
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE', message: expect.stringContaining('CONFIRMED') });
    expect((await api.order(confirmed.body.id)).status).toBe('CONFIRMED');
    expect(await api.stock('E2E-KB')).toEqual(before);
  });

  it('the same Idempotency-Key twice: one order, identical answers; reused with another body: 422', async () => {
    const body = { customerId: 'erin', lines: [{ sku: 'E2E-KB', quantity: 1 }], shippingAddress: address() };
    const headers = { 'idempotency-key': 'erin-checkout-1' };
    const [first, second] = [await api.place(body, headers), await api.place(body, headers)];
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const list = await api.json('orders', '/orders?customerId=erin');
    expect(list.body.items).toHaveLength(1);

    const other = await api.place({ ...body, lines: [{ sku: 'E2E-KB', quantity: 2 }] }, headers);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('bad requests get a 4xx naming the problem and write nothing', async () => {
    const before = (await api.json('orders', '/orders?customerId=mallory')).body.items.length;
    const invalid = await api.place({ customerId: 'mallory', lines: [{ sku: 'E2E-KB', quantity: 0 }], shippingAddress: address('Germany'), admin: true });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(
      expect.arrayContaining([
        'admin: property admin should not exist',
        'lines.0.quantity must not be less than 1',
        expect.stringMatching(/shippingAddress\.country must be an ISO 3166-1 alpha-2 code/),
      ]),
    );
    const notJson = await api.json('orders', '/orders', { method: 'POST', body: '{"customerId":' });
    expect([notJson.status, notJson.body.code, notJson.body.message]).toEqual([400, 'INVALID_JSON', 'request body is not valid JSON']);
    // an empty JSON body is {} (the cancel body is optional): validation names what is missing
    const empty = await api.json('orders', '/orders', { method: 'POST' });
    expect([empty.status, empty.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(empty.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^customerId /)]));
    const notJsonType = await api.json('orders', '/orders', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<order/>' });
    expect([notJsonType.status, notJsonType.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const huge = await api.place({
      customerId: 'mallory',
      lines: [{ sku: 'E2E-KB', quantity: 1 }],
      shippingAddress: { ...address(), line2: 'x'.repeat(100_000) },
    });
    expect([huge.status, huge.body.code, huge.body.message]).toEqual([413, 'BODY_TOO_LARGE', 'request body is too large']);
    // the NUL character passes class-validator but PostgreSQL cannot store it: 400, not a 500 from the database
    const nul = await api.place({
      customerId: 'mallory\u0000',
      lines: [{ sku: 'E2E-KB', quantity: 1 }],
      shippingAddress: { ...address(), city: 'Ber\u0000lin' },
    });
    expect([nul.status, nul.body.code, nul.body.message]).toEqual([
      400,
      'VALIDATION_FAILED',
      ['customerId must not contain the NUL character (\\u0000)', 'shippingAddress.city must not contain the NUL character (\\u0000)'],
    ]);
    // nor half of a UTF-16 surrogate pair in jsonb (JSON.stringify sends it as the escape \ud800)
    const surrogate = await api.place({ customerId: 'mallory', lines: [{ sku: 'E2E-KB', quantity: 1 }], shippingAddress: { ...address(), name: 'Mal\ud800' } });
    expect([surrogate.status, surrogate.body.code, surrogate.body.message]).toEqual([
      400,
      'VALIDATION_FAILED',
      ['shippingAddress.name must be well-formed Unicode text (it holds a lone UTF-16 surrogate, one of \\ud800-\\udfff)'],
    ]);
    const nulQuery = await api.json('orders', '/orders?customerId=mallory%00');
    expect([nulQuery.status, nulQuery.body.message]).toEqual([400, ['customerId must not contain the NUL character (\\u0000)']]);
    expect((await api.json('orders', '/orders/not-a-uuid')).status).toBe(400);
    expect((await api.json('orders', '/orders/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.json('orders', '/orders?status=LOST')).status).toBe(400);
    // a cursor that decodes to something other than a page position: 400 BAD_CURSOR, not a 500 from the database
    for (const made of [`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`, `-271821-04-20T00:00:00.000Z|00000000-0000-4000-8000-000000000000`, 'garbage']) {
      const page = await api.json('orders', `/orders?cursor=${Buffer.from(made).toString('base64url')}`);
      expect([page.status, page.body.code]).toEqual([400, 'BAD_CURSOR']);
    }
    expect((await api.json('inventory', '/products/E2E-KB/stock', { method: 'POST', body: JSON.stringify({ quantity: 5 }) })).status).toBe(401);
    expect((await api.json('orders', '/orders?customerId=mallory')).body.items.length).toBe(before);
  });

  it('lists orders by customer and status with cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await api.place({ customerId: 'frank', lines: [{ sku: 'E2E-KB', quantity: 1 }], shippingAddress: address() })).body.id);
    await Promise.all(ids.map((id) => api.settle(id)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await api.json(
        'orders',
        `/orders?customerId=frank&status=CONFIRMED&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((o: any) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse()); // newest first, each once
  });
});
