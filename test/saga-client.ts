import { ADMIN_TOKEN, SagaStack, waitUntil } from '@app/testing';

export const FINAL = ['CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED'];

export const address = (country = 'DE') => ({ name: 'Ada Lovelace', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country });

/** A thin HTTP client over the three services, as a user (or another system) would use them. */
export class SagaClient {
  constructor(private readonly stack: SagaStack) {}

  async json(service: 'orders' | 'inventory' | 'shipping', path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.stack.url(service)}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  async product(sku: string, priceCents: number, stock: number): Promise<void> {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await this.json('inventory', `/products/${sku}`, { method: 'PUT', headers: auth, body: JSON.stringify({ name: sku, priceCents }) })).status).toBe(200);
    if (stock > 0) expect((await this.json('inventory', `/products/${sku}/stock`, { method: 'POST', headers: auth, body: JSON.stringify({ quantity: stock }) })).status).toBe(201);
  }

  async stock(sku: string): Promise<{ available: number; reserved: number; shipped: number; received: number }> {
    const { body } = await this.json('inventory', `/products/${sku}`);
    return { available: body.available, reserved: body.reserved, shipped: body.shipped, received: body.received };
  }

  /** Stock once inventory has nothing reserved any more: orders reach CONFIRMED before inventory applies the shipment. */
  async settledStock(sku: string) {
    return waitUntil(`inventory to settle the reservations of ${sku}`, async () => {
      const stock = await this.stock(sku);
      return stock.reserved === 0 ? stock : null;
    });
  }

  place(body: object, headers: Record<string, string> = {}) {
    return this.json('orders', '/orders', { method: 'POST', headers, body: JSON.stringify(body) });
  }

  async order(id: string) {
    return (await this.json('orders', `/orders/${id}`)).body;
  }

  /** Waits until the order is in one of `statuses` (default: any final state) and returns it. */
  async settle(id: string, statuses = FINAL, timeoutMs = 60_000) {
    return waitUntil(`order ${id} to reach ${statuses.join('|')}`, async () => {
      const order = await this.order(id);
      return statuses.includes(order.status) ? order : null;
    }, { timeoutMs, intervalMs: 100 });
  }
}
