/**
 * The system a chaos run attacks: a 3-node Kafka cluster, PostgreSQL, two replicas of every service and a
 * relay-only orders instance, all processes of this machine, and the handles to hurt each of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChildProcess } from 'node:child_process';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const apps = require('../infra/lib/apps');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stack = require('../infra/lib/stack');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaLib = require('../infra/lib/kafka');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const postgres = require('../infra/lib/postgres');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../infra/lib/ports');

export const SERVICES = ['orders', 'inventory', 'shipping'] as const;
export type Service = (typeof SERVICES)[number];

/** Broker failure detection in 3 s (Kafka's default is 9 s), as in the tests' clusters, so a fault costs less waiting. */
const CLUSTER_SETTINGS = { 'broker.session.timeout.ms': '3000', 'broker.heartbeat.interval.ms': '500' };
/** The services' consumer session. */
export const CONSUMER_SESSION_MS = 6_000;
/**
 * A frozen broker stays frozen at least this long: past the consumer session and past kafkajs' request timeout
 * (10 s in libs/messaging's client), so that requests to it time out and the clients fail over, not just wait.
 */
export const FREEZE_MS = 12_000;

interface Instance {
  name: string; // 'orders#1', 'relay'
  service: Service;
  port: number;
  env: Record<string, string>;
  child: ChildProcess | null;
  logFile: string;
  http: boolean;
}

export interface SystemOptions {
  dir: string;
  replicas: number;
  adminToken: string;
  log: (message: string) => void;
}

const withTimeout = <T>(what: string, p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms))]);

export class ChaosSystem {
  private readonly instances = new Map<string, Instance>();
  private admin: Admin | null = null;
  private state: { kafka: { brokers: string; nodes: { nodeId: number; port: number }[] }; postgres: { url: string; port: number } };

  /** Set by stop(): nothing is started any more (a fault still sleeping must not bring a process back). */
  private stopping = false;

  constructor(private readonly o: SystemOptions) {}

  /** Brings everything up: infrastructure, then each service's first replica (it migrates), then the rest. */
  async start(): Promise<void> {
    this.o.log('starting a 3-node Kafka cluster and PostgreSQL');
    this.state = await stack.up({ dir: this.o.dir, kafkaNodes: 3, kafkaExtra: CLUSTER_SETTINGS, quiet: true });
    const logs = path.join(this.o.dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    // pinned, whatever the caller's environment says: the checks read unprefixed topics and groups, and a run
    // must behave the same on every machine
    const common = {
      KAFKA_TOPIC_PREFIX: '',
      OTEL_TRACES_EXPORTER: 'none',
      ADMIN_TOKEN: this.o.adminToken,
      SEED_DEMO_DATA: 'false',
      SERVED_COUNTRIES: 'DE,FR,NL',
      LOG_LEVEL: 'warn',
      KAFKA_SESSION_TIMEOUT_MS: String(CONSUMER_SESSION_MS),
      // no order may be cancelled by the clock during a run: an order the faults held up must still finish
      ORDER_DEADLINE_SECONDS: '3600',
    };
    for (const service of SERVICES) {
      for (let r = 1; r <= this.o.replicas; r++) {
        const port = await freePort();
        const name = `${service}#${r}`;
        const env = apps.appEnv(this.state, { name: service, port }, common);
        this.instances.set(name, { name, service, port, env, child: null, logFile: path.join(logs, `${service}-${r}.log`), http: true });
      }
    }
    const relayEnv = apps.appEnv(this.state, { name: 'orders', port: await freePort() }, { ...common, RELAY_ONLY: 'true' });
    this.instances.set('relay', {
      name: 'relay',
      service: 'orders',
      port: 0,
      env: relayEnv,
      child: null,
      logFile: path.join(logs, 'orders-relay.log'),
      http: false,
    });

    this.o.log(`starting ${SERVICES.length * this.o.replicas} service replicas and a relay-only orders instance`);
    const first = SERVICES.map((s) => `${s}#1`);
    await Promise.all(first.map((n) => this.startInstance(n)));
    await Promise.all([...this.instances.keys()].filter((n) => !first.includes(n)).map((n) => this.startInstance(n)));
    const kafka = new Kafka({ clientId: 'chaos', brokers: this.state.kafka.brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    this.admin = kafka.admin();
    await this.admin.connect();
  }

  get brokers(): string {
    return this.state.kafka.brokers;
  }

  get nodeIds(): number[] {
    return this.state.kafka.nodes.map((n) => n.nodeId);
  }

  databaseUrl(service: Service): string {
    return postgres.databaseUrl(this.state.postgres.url, service);
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.instances.get(name)!.port}`;
  }

  /** The HTTP instances of a service, '#1' first. */
  replicasOf(service: Service): string[] {
    return [...this.instances.values()].filter((i) => i.service === service && i.http).map((i) => i.name);
  }

  instanceNames(): string[] {
    return [...this.instances.keys()];
  }

  logFile(name: string): string {
    return this.instances.get(name)!.logFile;
  }

  /** Starts an instance and waits until it is ready (an HTTP one) or running (the relay). */
  async startInstance(name: string): Promise<void> {
    if (this.stopping) throw new Error(`not starting ${name}: the run is stopping`);
    const inst = this.instances.get(name)!;
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const child: ChildProcess = apps.startApp({ name: inst.service, port: inst.port }, inst.env, inst.logFile);
    inst.child = child;
    if (!inst.http) return;
    await apps.waitReady({ name: inst.name, port: inst.port }, { child, timeoutMs: 120_000 });
  }

  /** kill -9 of an instance: no shutdown hook runs. */
  async killInstance(name: string): Promise<void> {
    const inst = this.instances.get(name)!;
    const child = inst.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} is not running: nothing to kill`);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  isRunning(name: string): boolean {
    const child = this.instances.get(name)!.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /** Whether every instance runs (and every HTTP one answers ready). */
  async allReady(): Promise<string[]> {
    const down: string[] = [];
    for (const inst of this.instances.values()) {
      const running = inst.child && inst.child.exitCode === null && inst.child.signalCode === null;
      if (!running) down.push(`${inst.name} (not running)`);
      else if (inst.http) {
        const ok = await fetch(`http://127.0.0.1:${inst.port}/health/ready`, { signal: AbortSignal.timeout(3000) })
          .then((r) => r.ok)
          .catch(() => false);
        if (!ok) down.push(`${inst.name} (not ready)`);
      }
    }
    return down;
  }

  /** The node leading `partition` of `topic` (the partition number taken modulo the topic's partitions). */
  async leaderOf(topic: string, partition: number): Promise<{ nodeId: number; partition: number }> {
    const { topics } = await withTimeout('reading topic metadata', this.admin!.fetchTopicMetadata({ topics: [topic] }), 15_000);
    const parts = topics[0].partitions;
    const p = parts.find((x) => x.partitionId === partition % parts.length)!;
    return { nodeId: p.leader, partition: p.partitionId };
  }

  async killBroker(nodeId: number): Promise<void> {
    await kafkaLib.stopKafkaNode(this.state.kafka, nodeId, { signal: 'SIGKILL' });
  }

  async startBroker(nodeId: number): Promise<void> {
    if (this.stopping) throw new Error(`not starting Kafka node ${nodeId}: the run is stopping`);
    await kafkaLib.startKafkaNode(this.state.kafka, nodeId, { quiet: true });
  }

  signalBroker(nodeId: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const node = this.state.kafka.nodes.find((n) => n.nodeId === nodeId);
    const pid = node ? kafkaLib.brokerPid(node) : null;
    if (!pid) throw new Error(`Kafka node ${nodeId} is not running`);
    process.kill(pid, signal);
  }

  /** Waits until every partition of every topic (the internal ones too) has all its replicas in sync again. */
  async waitInSync(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: meta } = await withTimeout('reading topic metadata', this.admin!.fetchTopicMetadata(), 10_000);
        if (meta.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length))) return;
      } catch {
        /* a node just came back: ask again */
      }
      if (Date.now() > deadline) throw new Error(`the topics' replicas were not all in sync after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  postgresRunning(): boolean {
    return postgres.serverPid(stack.readState(this.o.dir).postgres) !== null;
  }

  /** PostgreSQL's fast shutdown: every session is cut and open transactions roll back. */
  async stopPostgres(): Promise<void> {
    await postgres.stopEmbedded(stack.readState(this.o.dir).postgres);
  }

  async startPostgres(): Promise<void> {
    if (this.stopping) throw new Error('not starting PostgreSQL: the run is stopping');
    await postgres.startEmbedded({ dir: path.join(this.o.dir, 'postgres'), port: this.state.postgres.port, quiet: true });
  }

  /**
   * Makes a service's database refuse writes (on) or take them again (off). A session keeps the default it
   * began with, so the database's sessions are ended both times and the services reconnect.
   */
  async setReadOnly(service: Service, on: boolean): Promise<void> {
    const client = new Client({ connectionString: this.state.postgres.url });
    await client.connect();
    try {
      await client.query(`ALTER DATABASE ${service} ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [service]);
    } finally {
      await client.end();
    }
  }

  /** Stops every instance, then the infrastructure, and removes the run's folder unless `keep`. */
  async stop({ keep = false } = {}): Promise<void> {
    this.stopping = true;
    await this.admin?.disconnect().catch(() => {});
    await Promise.all([...this.instances.values()].map((i) => apps.stopApp(i.child).catch(() => {})));
    // a broker left frozen would not stop
    for (const id of this.state?.kafka?.nodes?.map((n) => n.nodeId) ?? []) {
      try {
        this.signalBroker(id, 'SIGCONT');
      } catch {
        /* not running */
      }
    }
    await stack.down({ dir: this.o.dir, quiet: true }).catch(() => {});
    if (!keep) fs.rmSync(this.o.dir, { recursive: true, force: true });
  }
}
