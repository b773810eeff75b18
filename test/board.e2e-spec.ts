import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { freePort, SagaStack, waitUntil } from '@app/testing';
import { address, SagaClient } from './saga-client';

/** Debian's chromium (.ci/run installs it); CHROMIUM_PATH names another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the test leaves its screenshot of the board (bench/results/*.png is not committed). */
const SCREENSHOT = path.resolve(__dirname, '..', 'bench', 'results', 'board.png');
const TRACE_URL = 'http://traces.example/zipkin/traces/{traceId}';

/** Takes the spans orders exports (Zipkin v2 JSON) and keeps their trace ids: the board's links must name one of them. */
async function startSpanSink() {
  const traceIds = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      for (const span of JSON.parse(Buffer.concat(chunks).toString('utf8')) as { traceId: string }[]) traceIds.add(span.traceId);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/spans`;
  return { traceIds, endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The board's event stream opened without a browser: its status, and a way to hang up. */
async function openStream(url: string): Promise<{ status: number; close: () => void }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/board/events`, { signal: abort.signal });
  if (res.status !== 200) await res.body?.cancel();
  return { status: res.status, close: () => abort.abort() };
}

const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '');

/** The live order board of orders, in headless Chromium, over the three services as processes. */
(fs.existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip)('the order board in a browser', () => {
  let sink: Awaited<ReturnType<typeof startSpanSink>>;
  let stack: SagaStack;
  let api: SagaClient;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sink = await startSpanSink();
    const [inventoryPort, shippingPort, nobody] = [await freePort(), await freePort(), await freePort()];
    stack = await SagaStack.start({
      orders: {
        // orders alone traces, so that its orders have a trace id to link to
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: sink.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        BOARD_TRACE_URL: TRACE_URL,
        BOARD_MAX_CLIENTS: '2',
        // a peer that is not there shows as unknown
        BOARD_PEER_URLS: `inventory=http://127.0.0.1:${inventoryPort},shipping=http://127.0.0.1:${shippingPort},ghost=http://127.0.0.1:${nobody}`,
      },
      inventory: { PORT: String(inventoryPort) },
      shipping: { PORT: String(shippingPort) },
    });
    api = new SagaClient(stack);
    await api.product('BOARD-KB', 2500, 10);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // root in CI and containers: Chromium's sandbox needs a user namespace it may not get
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await sink?.close();
  });

  it('shows an order placed reaching CONFIRMED, the CONFIRMED count going up, latency, the services and a link to its trace', async () => {
    await page.goto(`${stack.url('orders')}/board`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-connection="live"]');
    await page.waitForFunction(() => document.querySelector('[data-count="CONFIRMED"]')?.textContent !== '–');
    const confirmedBefore = Number(await text(page, '[data-count="CONFIRMED"]'));

    const placed = await api.place({ customerId: 'board-alice', lines: [{ sku: 'BOARD-KB', quantity: 1 }], shippingAddress: address('DE') });
    expect(placed.status).toBe(202);
    const id: string = placed.body.id;
    const row = `#recent tr[data-order-id="${id}"]`;
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLElement | null)?.dataset.status === 'CONFIRMED', { timeout: 60_000 }, row);
    await page.waitForFunction((before) => Number(document.querySelector('[data-count="CONFIRMED"]')?.textContent) > before, {}, confirmedBefore);

    expect(await text(page, `${row} td:nth-child(2)`)).toBe('board-alice');
    expect(await text(page, `${row} .badge`)).toBe('CONFIRMED');
    expect(await text(page, `${row} td:nth-child(4)`)).toBe('25.00 EUR');
    expect(await text(page, '#p50')).toMatch(/\d+(\.\d+)? (ms|s)/);
    expect(Number(await text(page, '#rate'))).toBeGreaterThanOrEqual(1);

    // the link holds the trace the order was placed in, one that orders exported
    const href = await page.$eval(`${row} a`, (a) => (a as HTMLAnchorElement).href);
    const traceId = /\/traces\/([0-9a-f]{32})$/.exec(href)?.[1];
    expect(href).toBe(TRACE_URL.replace('{traceId}', traceId ?? 'none'));
    await waitUntil('orders to export a span of the order trace', async () => sink.traceIds.has(traceId!));

    // every service with numbers (the saga is done: nothing left behind), the missing one unknown
    await page.waitForFunction(() =>
      ['orders', 'inventory', 'shipping'].every((s) => document.querySelectorAll(`#services tr[data-service="${s}"] td`).length === 4),
    );
    for (const service of ['orders', 'inventory', 'shipping']) {
      expect(await text(page, `#services tr[data-service="${service}"] td:nth-child(4)`)).toMatch(/^\d+$/);
    }
    expect(await text(page, '#services tr[data-service="ghost"]')).toContain('unknown');

    // the database-wide count has caught up with the order's end (read every second)
    await page.waitForFunction(() => document.querySelector('[data-count="PENDING"]')?.textContent === '0');
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('caps its viewers (BOARD_MAX_CLIENTS, the page holds one) and frees a place when one hangs up', async () => {
    const second = await openStream(stack.url('orders'));
    expect(second.status).toBe(200);
    const third = await openStream(stack.url('orders'));
    expect(third.status).toBe(503);
    second.close();
    await waitUntil('the board to let a viewer in again', async () => {
      const next = await openStream(stack.url('orders'));
      next.close();
      return next.status === 200;
    });
  });

  it('lets orders shut down gracefully while a browser watches: its stream is ended, and the page says it is reconnecting', async () => {
    // an open stream would hold the HTTP server's close until SHUTDOWN_TIMEOUT_MS, and the service would exit 1
    const code = await stack.services.orders.stop();
    // Nest closes the app, then raises SIGTERM again; past the shutdown timeout the service would exit 1 instead
    expect({ code, signal: stack.services.orders.child.signalCode }).toEqual({ code: null, signal: 'SIGTERM' });
    await page.waitForSelector('[data-connection="lost"]');
  });
});
