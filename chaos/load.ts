/**
 * The chaos run's customers: orders at a steady pace, spread over the orders replicas, each with an
 * Idempotency-Key and retried with it (on another replica) when no answer came, as a careful client does.
 * It records what it asked for and what it was told: the checker's ground truth.
 */
import * as http from 'node:http';
import { Intent, OrderLine, PlacedOrder } from './model';
import { seededRandom } from './schedule';

export const STOCKED_SKUS = ['CHAOS-A', 'CHAOS-B', 'CHAOS-C', 'CHAOS-D'];
/** A product with no stock: every order of it is rejected (OUT_OF_STOCK). */
export const EMPTY_SKU = 'CHAOS-EMPTY';
export const STOCK_PER_SKU = 1_000_000;

export interface LoadOptions {
  seed: number;
  rate: number;
  seconds: number;
  /** The orders replicas' base URLs. */
  urls: string[];
  /** Tries of one request (its first included) before the load gives up on an answer. */
  attempts?: number;
}

/** One HTTP exchange, for the intake figures. */
export interface Exchange {
  startedAt: number;
  endedAt: number;
  /** HTTP status, or 0 when no answer came (refused, reset, timed out). */
  status: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const REQUEST_TIMEOUT_MS = 10_000;

function request(url: string, method: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}

/** What an order of `intent` looks like. */
export function orderFor(intent: Intent, rnd: () => number, customerId: string): { lines: OrderLine[]; body: string } {
  const lines: OrderLine[] =
    intent === 'reject'
      ? [{ sku: EMPTY_SKU, quantity: 1 }]
      : STOCKED_SKUS.filter(() => rnd() < 0.5)
          .slice(0, 3)
          .map((sku) => ({ sku, quantity: 1 + Math.floor(rnd() * 3) }));
  if (lines.length === 0) lines.push({ sku: STOCKED_SKUS[Math.floor(rnd() * STOCKED_SKUS.length)], quantity: 1 });
  const country = intent === 'fail' ? 'US' : ['DE', 'FR', 'NL'][Math.floor(rnd() * 3)];
  const body = JSON.stringify({
    customerId,
    lines,
    shippingAddress: { name: 'Chaos Customer', line1: 'Main St 1', city: 'Somewhere', postalCode: '10115', country },
  });
  return { lines, body };
}

function intentOf(r: number): Intent {
  if (r < 0.7) return 'confirm';
  if (r < 0.8) return 'reject';
  if (r < 0.9) return 'fail';
  return 'cancel';
}

export class OrderLoad {
  readonly placed: PlacedOrder[] = [];
  readonly exchanges: Exchange[] = [];
  /** Answers the load did not expect (a 4xx other than a late cancel's 409): a bug in the load or the service. */
  readonly surprises: string[] = [];
  private stopped = false;

  constructor(private readonly o: LoadOptions) {}

  /** Places orders at `rate` per second for `seconds`, then waits for every answer (and retry). */
  async run(onProgress?: (sent: number) => void): Promise<void> {
    const rnd = seededRandom(this.o.seed ^ 0x5bd1e995);
    const interval = 1000 / this.o.rate;
    const start = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i * interval < this.o.seconds * 1000 && !this.stopped; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const intent = intentOf(rnd());
      const order = orderFor(intent, rnd, `chaos-${i % 50}`);
      const cancelAfterMs = Math.floor(rnd() * 400);
      const p = this.placeOne(i, intent, order, cancelAfterMs).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (onProgress && i % Math.round(this.o.rate * 10) === 0) onProgress(i);
    }
    await Promise.all(inFlight);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Sends `body` until an answer that is not "try again" (no answer, 5xx, 429), on the next replica each time. */
  private async send(i: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const attempts = this.o.attempts ?? 6;
    let last = { status: 0, body: '' };
    for (let a = 0; a < attempts; a++) {
      const url = this.o.urls[(i + a) % this.o.urls.length] + path;
      const startedAt = Date.now();
      last = await request(url, 'POST', body, headers);
      this.exchanges.push({ startedAt, endedAt: Date.now(), status: last.status });
      if (last.status !== 0 && last.status < 500 && last.status !== 429) return last;
      await new Promise((r) => setTimeout(r, 500 * 2 ** Math.min(a, 3)));
    }
    return last;
  }

  private async placeOne(i: number, intent: Intent, order: { lines: OrderLine[]; body: string }, cancelAfterMs: number): Promise<void> {
    const idempotencyKey = `chaos-${this.o.seed}-${i}`;
    const placed: PlacedOrder = { orderId: null, idempotencyKey, intent, lines: order.lines, acked: false, placedAt: Date.now() };
    this.placed.push(placed);
    const res = await this.send(i, '/orders', order.body, { 'idempotency-key': idempotencyKey });
    if (res.status === 202) {
      placed.acked = true;
      placed.orderId = (JSON.parse(res.body) as { id: string }).id;
    } else if (res.status !== 0 && res.status < 500 && res.status !== 429) {
      this.surprises.push(`POST /orders (${intent}) answered ${res.status}: ${res.body.slice(0, 200)}`);
    }
    if (intent !== 'cancel' || !placed.acked) return;
    await new Promise((r) => setTimeout(r, cancelAfterMs));
    const cancel = await this.send(i, `/orders/${placed.orderId}/cancel`, JSON.stringify({ reason: 'chaos customer changed their mind' }), {});
    placed.cancelStatus = cancel.status === 0 ? null : cancel.status;
    if (cancel.status !== 200 && cancel.status !== 409 && cancel.status !== 0 && cancel.status < 500) {
      this.surprises.push(`POST /orders/${placed.orderId}/cancel answered ${cancel.status}: ${cancel.body.slice(0, 200)}`);
    }
  }
}
