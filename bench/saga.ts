import * as http from 'node:http';
import * as path from 'node:path';
import { ChildProcess } from 'node:child_process';
import { freePort } from '@app/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const apps = require('../infra/lib/apps');

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const SKU = 'BENCH-1';

/** The order every benchmark places: one unit of the bench product, to a served country. */
export const orderBody = (customerId: string) =>
  JSON.stringify({
    customerId,
    lines: [{ sku: SKU, quantity: 1 }],
    shippingAddress: { name: 'Bench', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  });

export interface RunningSaga {
  children: ChildProcess[];
  ports: Record<string, number>;
  ordersUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the three apps from their bundles on free ports (with `env` on top of the bench settings),
 * waits until each is ready and stocks the bench product.
 */
export async function startSaga(state: unknown, dir: string, env: Record<string, string> = {}): Promise<RunningSaga> {
  const ports: Record<string, number> = {};
  const children: ChildProcess[] = [];
  for (const app of apps.APPS) {
    ports[app.name] = await freePort();
    const appEnv = apps.appEnv(
      state,
      { ...app, port: ports[app.name] },
      { ADMIN_TOKEN, SEED_DEMO_DATA: 'false', LOG_LEVEL: 'warn', DB_POOL_SIZE: '20', ...env },
    );
    children.push(apps.startApp({ ...app, port: ports[app.name] }, appEnv, path.join(dir, `${app.name}.log`)));
  }
  const stop = async () => void (await Promise.all(children.map((c) => apps.stopApp(c))));
  try {
    await Promise.all(apps.APPS.map((app: { name: string }, i: number) => apps.waitReady({ ...app, port: ports[app.name] }, { child: children[i] })));
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const inventory = `http://127.0.0.1:${ports.inventory}`;
    await fetch(`${inventory}/products/${SKU}`, { method: 'PUT', headers: auth, body: JSON.stringify({ name: 'Bench item', priceCents: 100 }) });
    await fetch(`${inventory}/products/${SKU}/stock`, { method: 'POST', headers: auth, body: JSON.stringify({ quantity: 1_000_000 }) });
  } catch (err) {
    await stop();
    throw err;
  }
  return { children, ports, ordersUrl: `http://127.0.0.1:${ports.orders}`, stop };
}

/** Keep-alive connections for the paced load; as many as requests in flight (the load does not wait for answers). */
const pacedAgent = new http.Agent({ keepAlive: true });

/** One POST with node:http: a third of the CPU of fetch() per request here (0.3 vs 0.8 ms), CPU the system under test then has. */
function post(url: URL, payload: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent: pacedAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode! >= 200 && res.statusCode! < 300));
        res.on('error', () => resolve(false));
      },
    );
    req.on('error', () => resolve(false));
    req.end(payload);
  });
}

/**
 * Open-loop load at an even pace: one POST every 1000/rate ms, not waiting for answers. (autocannon's
 * overallRate sends each second's budget at once, in a burst, and latency then measures the burst.)
 */
export async function paced(url: string, payload: string, rate: number, seconds: number): Promise<{ ok: number; failed: number }> {
  const target = new URL(url);
  const interval = 1000 / rate;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  let ok = 0;
  let failed = 0;
  for (let i = 0; i * interval < seconds * 1000; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(post(target, payload).then((accepted) => void (accepted ? ok++ : failed++)));
  }
  await Promise.all(inFlight);
  return { ok, failed };
}
