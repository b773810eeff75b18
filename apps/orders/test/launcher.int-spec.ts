import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, infra, waitUntil } from '@app/testing';

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

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APPS = ['orders', 'inventory', 'shipping'] as const;

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

async function freePorts(names: string[]): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const name of names) {
    let port = await freePort();
    while (Object.values(ports).includes(port)) port = await freePort();
    ports[name] = port;
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

/** The pids of the apps the launcher `pid` runs now, by name. */
function appPids(pid: number): Record<string, number | undefined> {
  const children = listProcesses().filter((p) => p.ppid === pid);
  return Object.fromEntries(APPS.map((name) => [name, children.find((p) => p.argv.some((a) => a.endsWith(path.join('apps', name, 'main.js'))))?.pid]));
}

describe('npm start (infra/start.js) supervises the apps', () => {
  const dir = tempDir('eos-launcher-');
  let launcher: ChildProcess;
  let output = '';
  let ports: Record<string, number>;
  const seenPids: number[] = [];

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
    ports = await freePorts(['ORDERS_PORT', 'INVENTORY_PORT', 'SHIPPING_PORT', 'KAFKA_PORT', 'PG_PORT']);
    // the bundles as built (npm test builds first, or APP_DIST_DIR names another build): the launcher
    // does not rebuild them from sources that may be being edited
    const env = { ...launcherEnv(dir, ports), APP_DIST_DIR: process.env.APP_DIST_DIR || path.join(ROOT, 'dist') };
    launcher = spawn(process.execPath, [path.join(ROOT, 'infra', 'start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('restarts an app killed with SIGKILL, and only that app', async () => {
    const before = appPids(launcher.pid!);
    expect(before).toEqual({ orders: expect.any(Number), inventory: expect.any(Number), shipping: expect.any(Number) });
    seenPids.push(...(Object.values(before) as number[]));

    process.kill(before.orders!, 'SIGKILL');
    await waitOutput(/orders exited with signal SIGKILL; restarting in [\d.]+s \(restart #1\)/, 30_000);
    const restarted = await waitUntil('a new orders process', (): number | undefined => {
      const pid = appPids(launcher.pid!).orders;
      return pid !== undefined && pid !== before.orders ? pid : undefined;
    });
    if (restarted === undefined) throw new Error('no new orders process');
    seenPids.push(restarted);
    await waitUntil(
      'orders /health/live',
      async () => (await fetch(`http://127.0.0.1:${ports.ORDERS_PORT}/health/live`, { signal: AbortSignal.timeout(2000) })).ok,
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const after = appPids(launcher.pid!);
    expect(after).toEqual({ orders: restarted, inventory: before.inventory, shipping: before.shipping });
    expect(launcher.exitCode).toBeNull();
    expect(output).not.toMatch(/stopping the apps/);
    for (const name of ['inventory', 'shipping']) {
      expect((await fetch(`http://127.0.0.1:${ports[`${name.toUpperCase()}_PORT`]}/health/live`)).ok).toBe(true);
    }
  });

  it('stops everything on Ctrl-C (SIGINT)', async () => {
    const state = infra.readState(path.join(dir, 'infra'));
    const running = [...Object.values(appPids(launcher.pid!)), state.kafka.pid, state.postgres.pid] as number[];
    expect(running.every(isAlive)).toBe(true);

    launcher.kill('SIGINT');
    expect(await waitExit(launcher, 90_000)).toBe(0);
    expect(output).toMatch(/everything stopped/);
    // a server may still be leaving for a moment after it said it stopped
    await waitUntil('every process of the launcher to exit', () => [...running, ...seenPids].every((pid) => !isAlive(pid)), { timeoutMs: 10_000 });
    expect(infra.readState(path.join(dir, 'infra'))).toBeNull();
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
