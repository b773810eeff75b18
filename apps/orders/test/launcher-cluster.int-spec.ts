import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, infra, sharedInfra, waitUntil } from '@app/testing';

/**
 * infra/cli.js with KAFKA_NODES=3: a 3-node Kafka cluster of its own (on the shared PostgreSQL server, given as
 * DATABASE_URL), every node in state.json, status, env, restart-kafka of one node and down handling all three.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isAlive } = require('../../../infra/lib/proc') as { isAlive: (pid: number) => boolean };

const ROOT = path.resolve(__dirname, '..', '..', '..');

function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`infra/cli.js did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('infra/cli.js with KAFKA_NODES=3', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-launcher-cluster-'));
  const infraDir = path.join(dir, 'infra');
  let env: NodeJS.ProcessEnv;
  const seenPids: number[] = [];

  const cli = async (...args: string[]) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'infra', 'cli.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await waitExit(child, 150_000);
    return { code, out: out.trim(), err: err.trim() };
  };
  const nodePids = () => (infra.readState(infraDir).kafka.nodes as Array<{ pid: number }>).map((n) => n.pid);

  beforeAll(async () => {
    env = { ...process.env, INFRA_DIR: infraDir, KAFKA_NODES: '3', KAFKA_PORT: String(await freePort()), DATABASE_URL: sharedInfra().pgUrl };
    for (const name of ['NODE_ENV', 'KAFKA_BROKERS', 'PG_PORT']) delete env[name];
  });

  afterAll(async () => {
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await infra.stackDown({ dir: infraDir, quiet: true }).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs three nodes with replicated topics, restarts one alone, and stops them all', async () => {
    const up = await cli('up');
    expect(up).toMatchObject({ code: 0, err: expect.stringMatching(/Kafka 3\.9\.1 cluster of 3 nodes ready/) });
    const state = infra.readState(infraDir);
    expect(state.kafka.nodes).toHaveLength(3);
    const brokers: string = state.kafka.brokers;
    expect(brokers.split(',')).toHaveLength(3);
    expect(up.out).toContain(`KAFKA_BROKERS=${brokers}`);
    expect(up.out).toContain('KAFKA_REPLICATION_FACTOR=3');
    expect(up.out).toContain('KAFKA_MIN_INSYNC_REPLICAS=2');
    expect((await cli('status')).out).toMatch(/^up: Kafka .* \(3 nodes\)/);
    const first = nodePids();
    seenPids.push(...first);

    // the cluster replicates internal topics: the consumer offsets topic has 3 replicas, min.insync.replicas 2
    const admin = new Kafka({ clientId: 'launcher-cluster', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(3);
      expect(cluster.controller).not.toBeNull();
      const [{ configEntries }] = (
        await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '1', configNames: ['min.insync.replicas', 'default.replication.factor'] }] })
      ).resources;
      expect(Object.fromEntries(configEntries.map((e) => [e.configName, e.configValue]))).toEqual({ 'min.insync.replicas': '2', 'default.replication.factor': '3' });
    } finally {
      await admin.disconnect();
    }

    // one node down: status names it; restart-kafka 2 brings back node 2 alone
    process.kill(first[1], 'SIGKILL');
    await waitUntil('node 2 to die', () => !isAlive(first[1]));
    expect((await cli('status')).out).toMatch(/^down: Kafka node 2 is not running/);
    expect((await cli('restart-kafka', '2')).code).toBe(0);
    const second = nodePids();
    seenPids.push(...second);
    expect(second[0]).toBe(first[0]);
    expect(second[2]).toBe(first[2]);
    expect(second[1]).not.toBe(first[1]);
    expect((await cli('status')).out).toMatch(/^up: /);

    expect((await cli('down')).code).toBe(0);
    await waitUntil('every node to exit', () => second.every((pid) => !isAlive(pid)), { timeoutMs: 30_000 });
    expect(infra.readState(infraDir)).toBeNull();
  });
});
