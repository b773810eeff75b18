import { setDatabaseReadOnly, SagaStack, waitUntil } from '@app/testing';
import { metricValue, parsePrometheusText, Sample } from '../libs/testing/src/prometheus-text';
import { address, SagaClient } from './saga-client';

type Service = 'orders' | 'inventory' | 'shipping';

/** GET /metrics of every service, scraped from the running processes and parsed. */
describe('metrics, scraped from the three services', () => {
  let stack: SagaStack;
  let api: SagaClient;

  const scrape = async (service: Service): Promise<Sample[]> => {
    const res = await fetch(`${stack.url(service)}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return parsePrometheusText(await res.text());
  };

  beforeAll(async () => {
    stack = await SagaStack.start();
    api = new SagaClient(stack);
    await api.product('M-KB', 1500, 100);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('orders placed move the counters and histograms of every service', async () => {
    const before = { orders: await scrape('orders'), inventory: await scrape('inventory'), shipping: await scrape('shipping') };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const placed = await api.place({ customerId: `m${i}`, lines: [{ sku: 'M-KB', quantity: 1 }], shippingAddress: address('DE') });
      ids.push(placed.body.id);
    }
    for (const id of ids) expect((await api.settle(id)).status).toBe('CONFIRMED');
    await waitUntil('inventory to ship the units', async () => (await api.stock('M-KB')).shipped === 3);

    const orders = await scrape('orders');
    const moved = (after: Sample[], prior: Sample[], name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(prior, name, labels);
    expect(moved(orders, before.orders, 'orders_final_total', { status: 'CONFIRMED' })).toBe(3);
    expect(moved(orders, before.orders, 'order_placed_to_final_seconds_count')).toBe(3);
    expect(moved(orders, before.orders, 'http_request_duration_seconds_count', { method: 'POST', route: '/orders', status: '202' })).toBe(3);
    // the route pattern, not the URL; and /metrics is not counted
    expect(metricValue(orders, 'http_request_duration_seconds_count', { route: '/orders/:id' })).toBeGreaterThan(0);
    expect(orders.some((s) => s.name.startsWith('http_request_duration_seconds') && (s.labels.route === '/metrics' || s.labels.route?.includes(ids[0])))).toBe(false);
    // StockReserved and ShipmentScheduled of each order
    expect(moved(orders, before.orders, 'consumer_events_total', { outcome: 'applied' })).toBeGreaterThanOrEqual(6);
    expect(moved(orders, before.orders, 'consumer_handle_duration_seconds_count', { type: 'ShipmentScheduled' })).toBeGreaterThanOrEqual(3);
    await waitUntil('the relay of orders to count its sends', async () => moved(await scrape('orders'), before.orders, 'relay_published_events_total') >= 3);
    expect(metricValue(await scrape('orders'), 'relay_commit_to_publish_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metricValue(await scrape('orders'), 'relay_batch_size_count')).toBeGreaterThan(0);

    const inventory = await scrape('inventory');
    expect(moved(inventory, before.inventory, 'consumer_events_total', { topic: 'orders.events', type: 'OrderPlaced', outcome: 'applied' })).toBe(3);
    expect(metricValue(inventory, 'inventory_available_units', { sku: 'M-KB' })).toBe(97);
    const shipping = await scrape('shipping');
    expect(moved(shipping, before.shipping, 'consumer_events_total', { outcome: 'applied' })).toBeGreaterThanOrEqual(6);
    expect(moved(shipping, before.shipping, 'relay_published_events_total')).toBeGreaterThanOrEqual(3);

    for (const samples of [orders, inventory, shipping]) {
      for (const name of ['outbox_pending_events', 'outbox_oldest_pending_age_seconds', 'outbox_quarantined_events', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']) {
        expect(samples.some((s) => s.name === name)).toBe(true);
      }
      expect(metricValue(samples, 'outbox_quarantined_events')).toBe(0);
      expect(samples.some((s) => s.name === 'consumer_lag_events')).toBe(true);
    }
  });

  it('a consumer that cannot commit (its database read-only) shows lag, which returns to 0 once it can', async () => {
    const lagOf = async () => metricValue(await scrape('inventory'), 'consumer_lag_events', { topic: 'orders.events' });
    await waitUntil('inventory to have caught up', async () => (await lagOf()) === 0);
    await setDatabaseReadOnly(stack.databaseUrl('inventory'), true);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 2; i++) ids.push((await api.place({ customerId: `lag${i}`, lines: [{ sku: 'M-KB', quantity: 1 }], shippingAddress: address('DE') })).body.id);
      await waitUntil('inventory to report lag on orders.events', async () => (await lagOf()) >= 2);
    } finally {
      await setDatabaseReadOnly(stack.databaseUrl('inventory'), false);
    }
    await waitUntil('inventory lag back to 0', async () => (await lagOf()) === 0, { timeoutMs: 60_000 });
    // the events waited (a read-only database is transient), none was dead-lettered
    for (const id of ids) expect((await api.settle(id)).status).toBe('CONFIRMED');
    expect(metricValue(await scrape('inventory'), 'dead_letters_total')).toBe(0);
  });
});

describe('metrics turned off', () => {
  let stack: SagaStack;

  afterAll(async () => {
    await stack?.stop();
  });

  it('METRICS_ENABLED=false: GET /metrics answers 404 and the saga runs as before', async () => {
    stack = await SagaStack.start({ orders: { METRICS_ENABLED: 'false' } });
    const api = new SagaClient(stack);
    await api.product('M-OFF', 100, 5);
    expect((await fetch(`${stack.url('orders')}/metrics`)).status).toBe(404);
    expect((await fetch(`${stack.url('inventory')}/metrics`)).status).toBe(200);
    const placed = await api.place({ customerId: 'off', lines: [{ sku: 'M-OFF', quantity: 1 }], shippingAddress: address('DE') });
    expect((await api.settle(placed.body.id)).status).toBe('CONFIRMED');
  });
});
