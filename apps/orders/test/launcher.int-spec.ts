import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssignerProtocol } from 'kafkajs';
import { parse } from 'yaml';
import { freePort, infra, testKafka, waitUntil } from '@app/testing';

/**
 * The native launcher (`npm start` = infra/start.js, infra/cli.js) run for real: its own Kafka,
 * PostgreSQL and the three apps from dist (run `npm run build` first), on ports of their own. The
 * shared test infrastructure of the global setup is not used.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { listProcesses, isAlive } = require('../../../infra/lib/proc') as {
  listProcesses: () => Array<{ pid: number; ppid: number; argv: string[] }>;
  isAlive: (pid: number) => boolean;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isListening } = require('../../../infra/lib/ports') as { isListening: (port: number) => Promise<boolean> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dashboardQueries } = require('../../../infra/grafana/queries') as { dashboardQueries: () => Array<{ panel: string; refId: string; expr: string }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const observe = require('../../../infra/lib/observe') as { ALERTS_FILE: string; readState: (dir: string) => Record<string, { pid: number }> | null };

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APPS = ['orders', 'inventory', 'shipping'] as const;
/** The launch below runs this many replicas of each app (APP_REPLICAS); replica #2 listens on the app's port + 100. */
const REPLICAS = 2;
const ADMIN_TOKEN = 'launcher-test-admin-token';

/** A folder PostgreSQL (run as another user when the tests run as root) can reach. */
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** The environment of a launcher run in `dir`: nothing of the test process's own settings leaks in. */
function launcherEnv(dir: string, ports: Record<string, number>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, INFRA_DIR: path.join(dir, 'infra') };
  for (const name of ['NODE_ENV', 'DATABASE_URL', 'KAFKA_BROKERS', 'ADMIN_TOKEN']) delete env[name];
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  return env;
}

/** Free ports, one per name, all different; with `step`, port + step is free and unused by the others too. */
async function freePorts(names: string[], step = 0): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  const taken = new Set<number>();
  for (const name of names) {
    let port = await freePort();
    const clear = async (p: number) => !taken.has(p) && !taken.has(p + step) && (step === 0 || (p + step <= 65535 && !(await isListening(p + step))));
    while (!(await clear(port))) port = await freePort();
    ports[name] = port;
    taken.add(port).add(port + step);
  }
  return ports;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the launcher did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The PORT an app process was started with (replicas run the same bundle: only their environment tells them apart). */
function portOf(pid: number): number | undefined {
  try {
    const entry = fs
      .readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith('PORT='));
    return entry ? Number(entry.slice('PORT='.length)) : undefined;
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The instances of a launch on `ports`: "orders", "orders #2"... with the port each listens on. */
function instances(ports: Record<string, number>): Array<{ label: string; app: string; port: number }> {
  return APPS.flatMap((app) =>
    Array.from({ length: REPLICAS }, (_, k) => ({ label: k === 0 ? app : `${app} #${k + 1}`, app, port: ports[`${app.toUpperCase()}_PORT`] + 100 * k })),
  );
}

/** The pids of the app processes the launcher `pid` runs now, by instance ("orders", "orders #2"...). */
function appPids(pid: number, ports: Record<string, number>): Record<string, number | undefined> {
  const children = listProcesses().filter((p) => p.ppid === pid);
  return Object.fromEntries(
    instances(ports).map(({ label, app, port }) => [
      label,
      children.find((p) => p.argv.some((a) => a.endsWith(path.join('apps', app, 'main.js'))) && portOf(p.pid) === port)?.pid,
    ]),
  );
}

/** An answer of Prometheus' HTTP API (`/api/v1/...`), failing on an error status. */
async function prometheusApi<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (!res.ok || body.status !== 'success') throw new Error(`${url}: ${res.status} ${body.error ?? JSON.stringify(body)}`);
  return body.data;
}

interface BoardOrder {
  id: string;
  status: string;
  traceId: string | null;
}

/** The first two events of a board's stream (its settings, then the whole snapshot), read without a browser; then it hangs up. */
async function boardEvents(base: string): Promise<{ settings: { traceUrl: string | null }; snapshot: { recent: BoardOrder[] } }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    const res = await fetch(`${base}/board/events`, { signal: abort.signal });
    if (res.status !== 200) throw new Error(`${base}/board/events answered ${res.status}`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const events: Record<string, unknown> = {};
    let buffered = '';
    while (!(events.settings && events.snapshot)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`${base}/board/events ended before its settings and snapshot`);
      buffered += decoder.decode(value, { stream: true });
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const name = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name && data) events[name] = JSON.parse(data);
      }
    }
    return events as { settings: { traceUrl: string | null }; snapshot: { recent: BoardOrder[] } };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('npm start -- --observe (infra/start.js) with APP_REPLICAS=2 runs and supervises two replicas of each app, with Prometheus and Zipkin', () => {
  const dir = tempDir('eos-launcher-');
  let launcher: ChildProcess;
  let output = '';
  let ports: Record<string, number>;
  const seenPids: number[] = [];
  /** The order the test of the replicas places on orders #2. */
  let placedId: string | undefined;
  const url = (port: number) => `http://127.0.0.1:${port}`;

  /** Waits for `pattern` in the launcher's output; fails at once, with that output, if the launcher exits. */
  const waitOutput = async (pattern: RegExp, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (launcher.exitCode !== null) throw new Error(`the launcher exited with code ${launcher.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} in the launcher's output after ${timeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    ports = {
      ...(await freePorts(['ORDERS_PORT', 'INVENTORY_PORT', 'SHIPPING_PORT'], 100)),
      ...(await freePorts(['KAFKA_PORT', 'PG_PORT', 'PROMETHEUS_PORT', 'ZIPKIN_PORT'])),
    };
    // the bundles as built (npm test builds first, or APP_DIST_DIR names another build): the launcher
    // does not rebuild them from sources that may be being edited
    const env = {
      ...launcherEnv(dir, ports),
      APP_DIST_DIR: process.env.APP_DIST_DIR || path.join(ROOT, 'dist'),
      APP_REPLICAS: String(REPLICAS),
      ADMIN_TOKEN,
    };
    launcher = spawn(process.execPath, [path.join(ROOT, 'infra', 'start.js'), '--observe'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => (output += chunk.toString());
    launcher.stdout!.on('data', collect);
    launcher.stderr!.on('data', collect);
    await waitOutput(/Ready in/, 150_000);
  });

  afterAll(async () => {
    // whatever a failed test left running
    if (launcher && launcher.exitCode === null) {
      launcher.kill('SIGINT');
      await waitExit(launcher, 60_000).catch(() => launcher.kill('SIGKILL'));
    }
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await infra.stackDown({ dir: path.join(dir, 'infra'), quiet: true }).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URL of every replica, each of which is ready on its own port', async () => {
    expect(output).toMatch(/Ready in [\d.]+s \(2 replicas of each app\):/);
    for (const { label, port } of instances(ports)) {
      const escaped = label.replace('#', '\\#');
      expect({ label, printed: new RegExp(`^  ${escaped} +${url(port)}( |$)`, 'm').test(output) }).toEqual({ label, printed: true });
      const res = await fetch(`${url(port)}/health/ready`, { signal: AbortSignal.timeout(5000) });
      expect({ label, status: res.status }).toEqual({ label, status: 200 });
    }
    // the first replica's line says what the app serves; `infra/cli.js status` still reads the infrastructure
    expect(output).toMatch(new RegExp(`^  orders +${url(ports.ORDERS_PORT)} +\\(POST /orders`, 'm'));
    const status = spawn(process.execPath, [path.join(ROOT, 'infra', 'cli.js'), 'status'], {
      cwd: ROOT,
      env: launcherEnv(dir, {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let statusOut = '';
    status.stdout!.on('data', (chunk: Buffer) => (statusOut += chunk.toString()));
    expect(await waitExit(status, 30_000)).toBe(0);
    expect(statusOut).toMatch(/^up: Kafka /);
    expect(statusOut).toMatch(new RegExp(`^observe: Prometheus ${url(ports.PROMETHEUS_PORT)} \\(pid \\d+\\)$`, 'm'));
    expect(statusOut).toMatch(new RegExp(`^observe: Zipkin ${url(ports.ZIPKIN_PORT)} \\(pid \\d+\\)$`, 'm'));
  });

  it('shares the work: both orders replicas in the orders consumer group, an order placed on replica #2 confirmed through the others', async () => {
    const admin = testKafka(infra.readState(path.join(dir, 'infra')).kafka.brokers).admin();
    await admin.connect();
    try {
      // each replica has joined the service's one group and been given partitions of its own
      const members = await waitUntil(
        'the orders group to be stable with both replicas, each given partitions',
        async () => {
          const [group] = (await admin.describeGroups(['orders'])).groups;
          const given = group.members.map((m) => Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flat().length);
          return group.state === 'Stable' && given.length === REPLICAS && given.every((n) => n > 0) && given;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(members).toHaveLength(REPLICAS);
    } finally {
      await admin.disconnect();
    }

    // through the second replicas of inventory and orders; the first replicas read the same databases
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const inventory2 = url(ports.INVENTORY_PORT + 100);
    const sku = 'LAUNCHER-REPLICAS-1';
    expect(
      (await fetch(`${inventory2}/products/${sku}`, { method: 'PUT', headers: auth, body: JSON.stringify({ name: 'Replicated', priceCents: 1200 }) })).status,
    ).toBe(200);
    expect((await fetch(`${inventory2}/products/${sku}/stock`, { method: 'POST', headers: auth, body: JSON.stringify({ quantity: 5 }) })).status).toBe(201);
    const placed = await fetch(`${url(ports.ORDERS_PORT + 100)}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: 'replicas',
        lines: [{ sku, quantity: 2 }],
        shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      }),
    });
    expect(placed.status).toBe(202);
    const { id } = await placed.json();
    placedId = id;
    const final = await waitUntil(
      'the order to reach a final state (read on orders #1)',
      async () => {
        const order = await (await fetch(`${url(ports.ORDERS_PORT)}/orders/${id}`)).json();
        return ['CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED'].includes(order.status) && order;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(final.status).toBe('CONFIRMED');
    expect((await (await fetch(`${url(ports.INVENTORY_PORT)}/products/${sku}`)).json()).shipped).toBe(2);
  });

  it('--observe: Prometheus scrapes every replica, has the order and the alert rules, and answers every dashboard query', async () => {
    const prometheus = url(ports.PROMETHEUS_PORT);
    const printed = new RegExp(
      `^  Prometheus +${prometheus} +\\(alerts: (\\S+); scrapes the ${instances(ports).length} app instances every \\d+s\\)$`,
      'm',
    ).exec(output);
    expect(printed).not.toBeNull();
    expect((await fetch(printed![1])).status).toBe(200);

    // each replica a target of its service's job, and up
    const targets = await waitUntil(
      'Prometheus to scrape every app instance',
      async () => {
        const { activeTargets } = await prometheusApi<{ activeTargets: Array<{ labels: Record<string, string>; health: string }> }>(
          `${prometheus}/api/v1/targets`,
        );
        // an empty list before Prometheus has read its configuration
        return activeTargets.length === instances(ports).length && activeTargets.every((t) => t.health === 'up') ? activeTargets : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(targets!.map((t) => `${t.labels.job} ${t.labels.instance}`).sort()).toEqual(
      instances(ports)
        .map((i) => `${i.app} 127.0.0.1:${i.port}`)
        .sort(),
    );

    // the order the test before placed, counted by whichever orders replica confirmed it
    const confirmed = await waitUntil(
      'orders_final_total{status="CONFIRMED"} in Prometheus',
      async () => {
        const result = await prometheusApi<{ result: PromSample[] }>(
          `${prometheus}/api/v1/query?query=${encodeURIComponent('orders_final_total{status="CONFIRMED"}')}`,
        );
        return result.result.reduce((sum, r) => sum + Number(r.value[1]), 0) >= 1 ? result.result : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const ordersInstances = instances(ports)
      .filter((i) => i.app === 'orders')
      .map((i) => `127.0.0.1:${i.port}`);
    for (const { metric } of confirmed!) {
      expect(metric).toEqual({ __name__: 'orders_final_total', job: 'orders', service: 'orders', status: 'CONFIRMED', instance: expect.any(String) });
      expect(ordersInstances).toContain(metric.instance);
    }

    // the alert rules, loaded and evaluated without error, none of them firing
    const { groups } = await prometheusApi<{ groups: Array<{ file: string; rules: Array<{ name: string; health: string; state: string }> }> }>(
      `${prometheus}/api/v1/rules`,
    );
    const expected = (parse(fs.readFileSync(observe.ALERTS_FILE, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) =>
      g.rules.map((r) => r.alert),
    );
    const loaded = groups.flatMap((g) => g.rules.map((r) => ({ file: g.file, name: r.name, health: r.health, state: r.state })));
    expect(loaded.map((r) => r.name).sort()).toEqual([...expected].sort());
    for (const rule of loaded) expect(rule).toEqual({ file: observe.ALERTS_FILE, name: rule.name, health: 'ok', state: 'inactive' });

    // every query of the Grafana dashboard runs; all but those of dead letters and server errors (none here) find
    // series, once the series the order made have two samples (a rate needs two)
    const emptyPanels = async () => {
      const empty: string[] = [];
      for (const { panel, refId, expr } of dashboardQueries()) {
        const { result } = await prometheusApi<{ result: PromSample[] }>(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
        if (result.length === 0) empty.push(`${panel} ${refId}`);
      }
      return empty;
    };
    const expectedEmpty = ['Dead letters A', 'Server errors A'];
    const empty = await waitUntil(
      'every dashboard query to find series',
      async () => {
        const found = await emptyPanels();
        if (JSON.stringify(found) !== JSON.stringify(expectedEmpty)) throw new Error(`no series for ${found.join(', ')}`);
        return found;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    expect(empty).toEqual(expectedEmpty);
  });

  it('--observe: Zipkin answers and has the traces of the three services', async () => {
    const zipkin = url(ports.ZIPKIN_PORT);
    expect(output).toMatch(new RegExp(`^  Zipkin +${zipkin}/zipkin/ +\\(the apps' traces\\)$`, 'm'));
    expect(await (await fetch(`${zipkin}/health`)).json()).toMatchObject({ status: 'UP' });
    // the launcher set OTEL_TRACES_EXPORTER=zipkin and its endpoint; spans are exported every few seconds
    const services = await waitUntil(
      'the three services in Zipkin',
      async () => {
        const names = (await (await fetch(`${zipkin}/api/v2/services`)).json()) as string[];
        return APPS.every((app) => names.includes(app)) ? names : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect([...services!].sort()).toEqual([...APPS].sort());
  });

  it("prints the board's URL; the board answers, and links the order placed to its trace in the launcher's Zipkin (BOARD_TRACE_URL)", async () => {
    const zipkin = url(ports.ZIPKIN_PORT);
    const board = `${url(ports.ORDERS_PORT)}/board`;
    expect(output).toMatch(new RegExp(`^  board +${board} +\\(the live order board, each order linked to its trace in Zipkin; `, 'm'));
    const page = await fetch(board, { signal: AbortSignal.timeout(5000) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/^<!doctype html>/i);

    // orders #2 placed the order, so its board lists it (each replica's shows what that replica handled)
    expect(placedId).toBeDefined();
    const { settings, snapshot } = await boardEvents(url(ports.ORDERS_PORT + 100));
    expect(settings.traceUrl).toBe(`${zipkin}/zipkin/traces/{traceId}`);
    const listed = snapshot.recent.find((o) => o.id === placedId);
    expect(listed).toMatchObject({ id: placedId, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });

    // the link is a page of Zipkin's UI, and that trace, in Zipkin, goes through the three services
    const link = settings.traceUrl!.replace('{traceId}', listed!.traceId!);
    const ui = await fetch(link, { signal: AbortSignal.timeout(5000) });
    expect({ link, status: ui.status, type: ui.headers.get('content-type') }).toEqual({ link, status: 200, type: expect.stringMatching(/^text\/html/) });
    await ui.body?.cancel();
    const services = await waitUntil(
      "the order's trace in Zipkin with spans of the three services",
      async () => {
        const res = await fetch(`${zipkin}/api/v2/trace/${listed!.traceId}`, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) {
          await res.body?.cancel();
          return undefined; // not exported yet (404)
        }
        const names = new Set(((await res.json()) as Array<{ localEndpoint?: { serviceName?: string } }>).map((span) => span.localEndpoint?.serviceName));
        return APPS.every((app) => names.has(app)) ? [...names].sort() : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(services).toEqual([...APPS].sort());
  });

  it('restarts a replica killed with SIGKILL, and only that replica', async () => {
    const before = appPids(launcher.pid!, ports);
    expect(Object.values(before).every((pid) => typeof pid === 'number')).toBe(true);
    expect(Object.keys(before)).toHaveLength(APPS.length * REPLICAS);
    seenPids.push(...(Object.values(before) as number[]));

    process.kill(before['orders #2']!, 'SIGKILL');
    await waitOutput(/orders #2 exited with signal SIGKILL; restarting in [\d.]+s \(restart #1\); see \S+orders-2\.log/, 30_000);
    const restarted = await waitUntil('a new orders #2 process', (): number | undefined => {
      const pid = appPids(launcher.pid!, ports)['orders #2'];
      return pid !== undefined && pid !== before['orders #2'] ? pid : undefined;
    });
    if (restarted === undefined) throw new Error('no new orders #2 process');
    seenPids.push(restarted);
    await waitUntil(
      'orders #2 /health/live',
      async () => (await fetch(`${url(ports.ORDERS_PORT + 100)}/health/live`, { signal: AbortSignal.timeout(2000) })).ok,
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    expect(appPids(launcher.pid!, ports)).toEqual({ ...before, 'orders #2': restarted });
    expect(launcher.exitCode).toBeNull();
    expect(output).not.toMatch(/stopping the apps/);
    expect(output.match(/^\[infra\] .* exited with .*$/gm)).toEqual([expect.stringMatching(/^\[infra\] orders #2 exited with signal SIGKILL/)]);
    for (const { label, port } of instances(ports).filter((i) => i.label !== 'orders #2')) {
      expect({ label, live: (await fetch(`${url(port)}/health/live`)).ok }).toEqual({ label, live: true });
    }
  });

  it('stops everything on Ctrl-C (SIGINT)', async () => {
    const state = infra.readState(path.join(dir, 'infra'));
    const observed = observe.readState(path.join(dir, 'infra'));
    const running = [
      ...Object.values(appPids(launcher.pid!, ports)),
      state.kafka.pid,
      state.postgres.pid,
      observed?.prometheus.pid,
      observed?.zipkin.pid,
    ] as number[];
    expect(running.every(isAlive)).toBe(true);

    launcher.kill('SIGINT');
    expect(await waitExit(launcher, 90_000)).toBe(0);
    expect(output).toMatch(/everything stopped/);
    // a server may still be leaving for a moment after it said it stopped
    await waitUntil('every process of the launcher to exit', () => [...running, ...seenPids].every((pid) => !isAlive(pid)), { timeoutMs: 10_000 });
    expect(infra.readState(path.join(dir, 'infra'))).toBeNull();
    expect(observe.readState(path.join(dir, 'infra'))).toBeNull();
  });
});

describe('infra/cli.js follows a broker restarted by hand', () => {
  const dir = tempDir('eos-launcher-cli-');
  const infraDir = path.join(dir, 'infra');
  let env: NodeJS.ProcessEnv;
  const seenPids: number[] = [];

  // not spawnSync: this process must keep reaping the broker it started, or its pid would linger
  const cli = async (...args: string[]) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'infra', 'cli.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await waitExit(child, 150_000);
    return { code, out: out.trim(), err: err.trim() };
  };
  const kafkaPid = () => infra.readState(infraDir).kafka.pid as number;

  beforeAll(async () => {
    env = launcherEnv(dir, await freePorts(['KAFKA_PORT', 'PG_PORT']));
  });

  afterAll(async () => {
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await infra.stackDown({ dir: infraDir, quiet: true }).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports the stack up after the broker was killed and started again on the same folder and port, and stops that broker', async () => {
    expect((await cli('up')).code).toBe(0);
    expect((await cli('status')).out).toMatch(/^up: /);
    const first = kafkaPid();
    const pgPid = infra.readState(infraDir).postgres.pid as number;
    seenPids.push(first, pgPid);

    process.kill(first, 'SIGKILL');
    await waitUntil('the broker to die', () => !isAlive(first));
    expect((await cli('status')).out).toMatch(/^down/);

    // restarted by hand, the way a test or a user does: same folder, same ports, a new process
    const { kafka } = infra.readState(infraDir);
    const byHand = await infra.startKafka({ dir: kafka.dir, port: kafka.port, controllerPort: kafka.controllerPort, quiet: true });
    seenPids.push(byHand.pid);
    expect((await cli('status')).out).toMatch(/^up: /);
    expect(kafkaPid()).toBe(byHand.pid);

    // the launcher's own way to restart it
    const restarted = await cli('restart-kafka');
    expect(restarted).toMatchObject({ code: 0, out: expect.stringMatching(/^Kafka restarted/) });
    const third = kafkaPid();
    seenPids.push(third);
    expect(third).not.toBe(byHand.pid);
    expect(isAlive(byHand.pid)).toBe(false);
    expect((await cli('status')).out).toMatch(/^up: /);

    expect((await cli('down')).code).toBe(0);
    expect(seenPids.filter(isAlive)).toEqual([]);
    expect((await cli('status')).out).toMatch(/^down: /);
  });
});
