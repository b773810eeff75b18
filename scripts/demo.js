#!/usr/bin/env node
'use strict';
// `npm run demo`: against a running system (`npm start` in another terminal), places one order of
// each outcome (confirmed, out of stock, destination not served, cancelled), waits until each is in
// a final state, prints its journey through the services, then the stock of the products involved.
// Plain Node 20, no dependencies. ORDERS_URL, INVENTORY_URL and SHIPPING_URL override the default
// http://127.0.0.1:3000, :3001 and :3002.

const POLL_INTERVAL_MS = 100;
const FINAL_TIMEOUT_MS = 30_000;
// Once the orders are final, inventory may still be moving their reservations (ship, release) for
// a few ms: the stock table waits for that, but not for long.
const SETTLE_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;

const FINAL_STATUSES = ['CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED'];
// Where inventory leaves an order's reservation once the order is final (null: no reservation yet).
// A rejected order's reservation holds nothing (REJECTED); a CANCELLED order may have been cancelled before
// inventory decided (RELEASED of nothing) or after it rejected the stock.
const SETTLED_RESERVATION = { CONFIRMED: ['SHIPPED'], FAILED: ['RELEASED'], CANCELLED: ['RELEASED', 'REJECTED', null], REJECTED: ['REJECTED', null] };

const NOT_RUNNING = 'The system is not running: start it with `npm start` in another terminal, then run `npm run demo` again.';

const SCENARIOS = [
  {
    title: 'In stock',
    expected: 'CONFIRMED',
    lines: [
      { sku: 'KB-001', quantity: 1 },
      { sku: 'CBL-USB-C', quantity: 2 },
    ],
    shippingAddress: { name: 'Demo Customer', line1: 'Hauptstrasse 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  },
  {
    title: 'Out of stock',
    expected: 'REJECTED',
    lines: [{ sku: 'LAMP-01', quantity: 1 }],
    shippingAddress: { name: 'Demo Customer', line1: '1 rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' },
  },
  {
    title: 'Destination not served',
    expected: 'FAILED',
    lines: [{ sku: 'MS-001', quantity: 1 }],
    shippingAddress: { name: 'Demo Customer', line1: '1 Main Street', city: 'New York', postalCode: '10001', country: 'US' },
  },
  {
    title: 'Cancelled by the customer',
    expected: 'CANCELLED',
    lines: [{ sku: 'MON-27', quantity: 1 }],
    shippingAddress: { name: 'Demo Customer', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
    cancelReason: 'changed my mind (npm run demo)',
  },
];

/** A failure to print as is (no stack trace) before exiting with code 1. */
class Failure extends Error {}

const tty = Boolean(process.stdout.isTTY);
const paint = (code) => (text) => (tty && !process.env.NO_COLOR ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint(1);
const green = paint(32);
const red = paint(31);
const print = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isFinal = (order) => Boolean(order) && FINAL_STATUSES.includes(order.status);

/** The base URL of a service from its environment variable (unset or empty: the default). */
function serviceUrl(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  let url = null;
  try {
    url = new URL(raw);
  } catch {
    // not a URL at all: reported below
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    throw new Failure(`${name} must be an http(s) base URL such as ${fallback}, got "${raw}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Why a fetch failed, e.g. "connect ECONNREFUSED 127.0.0.1:3000" rather than "fetch failed". */
function networkReason(err) {
  const cause = err.cause;
  return (cause && (cause.message || cause.code)) || err.message;
}

/** Long bodies (health details, stack-free error JSON) are cut so that the output stays readable. */
function clip(text, max = 1000) {
  const flat = text.trim();
  if (!flat) return '(empty body)';
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/**
 * Sends a request with an optional JSON body and returns { status, body } (body parsed as
 * JSON) when the status is one of `ok`; anything else becomes a Failure naming the request, the
 * status and the body.
 */
async function request(method, url, { body, headers = {}, ok = [200] } = {}) {
  let res;
  let text;
  try {
    res = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await res.text();
  } catch (err) {
    throw new Failure(`${method} ${url} failed: ${networkReason(err)}`);
  }
  if (!ok.includes(res.status)) throw new Failure(`${method} ${url} answered ${res.status}:\n  ${clip(text)}`);
  try {
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    throw new Failure(`${method} ${url} answered ${res.status} with a body that is not JSON:\n  ${clip(text)}`);
  }
}

/** Fails with NOT_RUNNING if a service does not answer, or with the details if one is not ready. */
async function checkReady(urls) {
  const results = await Promise.all(
    Object.entries(urls).map(async ([name, base]) => {
      const url = `${base}/health/ready`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        return { name, url, status: res.status, body: await res.text() };
      } catch (err) {
        return { name, url, error: networkReason(err) };
      }
    }),
  );
  const unreachable = results.filter((r) => r.error);
  if (unreachable.length > 0) {
    throw new Failure([NOT_RUNNING, ...unreachable.map((r) => `  (no answer from ${r.name} at ${r.url}: ${r.error})`)].join('\n'));
  }
  const notReady = results.filter((r) => r.status !== 200);
  if (notReady.length > 0) {
    throw new Failure(
      [
        'The system is up but not ready: wait until `npm start` prints "Ready", then run `npm run demo` again.',
        ...notReady.map((r) => `  ${r.name}: GET ${r.url} answered ${r.status}:\n    ${clip(r.body)}`),
      ].join('\n'),
    );
  }
}

/** GET /products as a Map by SKU. */
async function getProducts(urls) {
  const { body } = await request('GET', `${urls.inventory}/products`);
  return new Map(body.map((p) => [p.sku, p]));
}

/** Places a scenario's order and, for the cancel scenario, cancels it right away. */
async function place(urls, customerId, scenario, index) {
  const { body: order } = await request('POST', `${urls.orders}/orders`, {
    body: { customerId, lines: scenario.lines, shippingAddress: scenario.shippingAddress },
    headers: { 'idempotency-key': `${customerId}-${index + 1}` },
    ok: [202],
  });
  const run = { scenario, id: order.id, order: null, cancel: null, shipment: null };
  if (scenario.cancelReason) {
    // The order is PENDING or RESERVED for a few ms only: the cancel may come too late (409).
    const res = await request('POST', `${urls.orders}/orders/${order.id}/cancel`, { body: { reason: scenario.cancelReason }, ok: [200, 409] });
    if (res.status === 409 && res.body?.code !== 'ORDER_NOT_CANCELLABLE') {
      throw new Failure(`POST ${urls.orders}/orders/${order.id}/cancel answered 409:\n  ${JSON.stringify(res.body)}`);
    }
    run.cancel = res.status === 200 ? { accepted: true } : { accepted: false, message: res.body.message };
  }
  return run;
}

/** Polls every non-final order until all are final or the timeout passes, with a progress line. */
async function waitUntilFinal(urls, runs) {
  const started = Date.now();
  let shown = '';
  try {
    for (;;) {
      await Promise.all(
        runs
          .filter((r) => !isFinal(r.order))
          .map(async (r) => {
            r.order = (await request('GET', `${urls.orders}/orders/${r.id}`)).body;
          }),
      );
      const statuses = runs.map((r) => r.order.status).join(', ');
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      // On a terminal the line is rewritten in place; in a log, a line is added when a status changes.
      if (tty) process.stdout.write(`\rWaiting for final states (${elapsed}): ${statuses}\x1b[K`);
      else if (statuses !== shown) print(`Waiting for final states (${elapsed}): ${statuses}`);
      shown = statuses;
      if (runs.every((r) => isFinal(r.order)) || Date.now() - started >= FINAL_TIMEOUT_MS) return;
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    if (tty && shown) print();
  }
}

/** Waits until inventory has moved every reservation where it ends up; false if it has not in time. */
async function waitForInventory(urls, runs) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const states = await Promise.all(
      runs.map(async (r) => {
        const res = await request('GET', `${urls.inventory}/reservations/${r.id}`, { ok: [200, 404] });
        return res.status === 404 ? null : res.body.status;
      }),
    );
    if (runs.every((r, i) => SETTLED_RESERVATION[r.order.status].includes(states[i]))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Shipping's view of the order's shipment, or null before shipping has decided anything. */
async function getShipment(urls, orderId) {
  const res = await request('GET', `${urls.shipping}/shipments/${orderId}`, { ok: [200, 404] });
  return res.status === 404 ? null : res.body;
}

const money = (cents, currency) => `${(cents / 100).toFixed(2)} ${currency ?? ''}`.trim();
const ms = (from, to) => new Date(to).getTime() - new Date(from).getTime();

/** Milliseconds from OrderPlaced to the timeline entry that moved the order to its final status. */
function placedToFinal(order) {
  const [first] = order.timeline;
  const reached = order.timeline.find((t) => t.status === order.status);
  return ms(first.occurredAt, reached.occurredAt);
}

function describeShipment(shipment) {
  if (!shipment) return 'none (shipping never scheduled one)';
  const parts = [`${shipment.status} with ${shipment.carrier} to ${shipment.country}`, `id ${shipment.id}`];
  if (shipment.estimatedDelivery) parts.push(`estimated delivery ${shipment.estimatedDelivery.slice(0, 10)}`);
  if (shipment.failureReason) parts.push(shipment.failureReason);
  return parts.join(', ');
}

function printJourney(run, number) {
  const { scenario, order, cancel, shipment } = run;
  const items = scenario.lines.map((l) => `${l.quantity}x ${l.sku}`).join(', ');
  let verdict;
  if (!isFinal(order)) verdict = red(`not final after ${FINAL_TIMEOUT_MS / 1000} s; expected ${scenario.expected}`);
  else if (order.status === scenario.expected) verdict = green('as expected');
  else verdict = red(`expected ${scenario.expected}`);

  print(bold(`${number}. ${scenario.title}: ${items} to ${scenario.shippingAddress.country}`));
  print(`   order      ${order.id}`);
  print(`   status     ${order.status} (${verdict})`);
  if (cancel) {
    print(`   cancel     ${cancel.accepted ? 'accepted' : `refused, it came too late: 409 ORDER_NOT_CANCELLABLE, ${cancel.message}`}`);
  }
  if (order.statusReason) print(`   reason     ${order.statusReason}`);
  if (order.totalCents !== undefined) print(`   total      ${money(order.totalCents, order.currency)}`);
  print(`   shipment   ${describeShipment(shipment)}`);
  print('   timeline');
  const [first] = order.timeline;
  const offsets = order.timeline.map((t) => {
    const offset = ms(first.occurredAt, t.occurredAt);
    return `${offset < 0 ? '' : '+'}${offset} ms`;
  });
  const width = Math.max(...offsets.map((o) => o.length));
  order.timeline.forEach((t, i) => {
    print(`     ${offsets[i].padStart(width)}  ${t.type.padEnd(18)} -> ${t.status}`);
  });
  print();
}

/** before -> after for each counter of the SKUs involved; a single number when it did not change. */
function printStock(skus, before, after, settled) {
  const counters = ['available', 'reserved', 'shipped', 'received'];
  const cell = (sku, key) => {
    const [was, now] = [before.get(sku)[key], after.get(sku)[key]];
    return was === now ? String(now) : `${was} -> ${now}`;
  };
  const rows = [['SKU', 'product', ...counters], ...skus.map((sku) => [sku, after.get(sku).name, ...counters.map((key) => cell(sku, key))])];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  print(bold('Stock of the products involved (before -> after this run, from GET /products)'));
  for (const row of rows) print(`   ${row.map((text, col) => (col < 2 ? text.padEnd(widths[col]) : text.padStart(widths[col]))).join('   ')}`);
  if (!settled) print('   (inventory had not finished moving the reservations of these orders: the numbers may lag)');
  print();
}

async function main() {
  const urls = {
    orders: serviceUrl('ORDERS_URL', 'http://127.0.0.1:3000'),
    inventory: serviceUrl('INVENTORY_URL', 'http://127.0.0.1:3001'),
    shipping: serviceUrl('SHIPPING_URL', 'http://127.0.0.1:3002'),
  };
  await checkReady(urls);

  const skus = [...new Set(SCENARIOS.flatMap((s) => s.lines.map((l) => l.sku)))];
  const before = await getProducts(urls);
  const missing = skus.filter((sku) => !before.has(sku));
  if (missing.length > 0) {
    throw new Failure(
      `inventory has no product ${missing.join(', ')}: the demo products are seeded on the first start with an empty inventory database (SEED_DEMO_DATA).`,
    );
  }

  const customerId = `demo-${Date.now()}`;
  print(`Placing ${SCENARIOS.length} orders for customer ${customerId} at ${urls.orders}`);
  const runs = await Promise.all(SCENARIOS.map((scenario, i) => place(urls, customerId, scenario, i)));
  await waitUntilFinal(urls, runs);
  const allFinal = runs.every((r) => isFinal(r.order));
  const settled = allFinal && (await waitForInventory(urls, runs));
  const [after] = await Promise.all([
    getProducts(urls),
    ...runs.map(async (r) => {
      r.shipment = await getShipment(urls, r.id);
    }),
  ]);
  print();

  runs.forEach((run, i) => printJourney(run, i + 1));
  printStock(skus, before, after, settled);

  const finished = runs.filter((r) => isFinal(r.order));
  const asExpected = finished.filter((r) => r.order.status === r.scenario.expected).length;
  const latencies = finished.map((r) => placedToFinal(r.order)).sort((a, b) => a - b);
  const summary = [`${runs.length} orders`, `${asExpected} as expected`];
  if (runs.some((r) => r.cancel && !r.cancel.accepted)) summary.push('the cancel came too late (the order was already past RESERVED)');
  if (finished.length < runs.length) summary.push(red(`${runs.length - finished.length} not final after ${FINAL_TIMEOUT_MS / 1000} s`));
  // p50 by nearest rank: with 4 orders, the 2nd fastest
  if (latencies.length > 0) {
    summary.push(`placed-to-final p50 ${latencies[Math.ceil(latencies.length / 2) - 1]} ms, max ${latencies[latencies.length - 1]} ms`);
  }
  print(summary.join(', '));
  return allFinal ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Failure ? err.message : err);
    process.exitCode = 1;
  },
);
