import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChildProcess, spawn } from 'node:child_process';
import { INestApplication } from '@nestjs/common';
import { BaseConfig, createServiceApp, loadConfig, ServiceDefinition } from '@app/platform';
import { waitUntil } from './wait';
import { createDatabase, dropDatabase, sharedInfra, uniqueTopicPrefix } from './environment';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Boots a service inside the test process (real broker and database), on a free port. */
export async function startInProcess<C extends BaseConfig>(def: ServiceDefinition<C>, env: Record<string, string>): Promise<RunningApp> {
  const config = loadConfig(def.configClass, { LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '10000', ...env, PORT: '1' });
  const app = await createServiceApp(def, config);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), close: () => app.close() };
}

/** A service a Jest suite runs in process: set up by the suite's `beforeAll`, torn down by its `afterAll`. */
export interface SuiteService {
  readonly brokers: string;
  /** The topic prefix of this suite (topics of its own on the shared broker). */
  readonly prefix: string;
  /** The service's own database (set in `beforeAll`). */
  databaseUrl: string;
  running: RunningApp;
}

/**
 * Registers, in the calling `describe`, a `beforeAll` that starts the service in process on a database
 * of its own (named after the service) and topics of its own prefix on the shared broker, with `env` on
 * top, and an `afterAll` that closes it and drops the database.
 */
export function serviceForSuite<C extends BaseConfig>(def: ServiceDefinition<C>, env: Record<string, string> = {}): SuiteService {
  const { brokers } = sharedInfra();
  const suite: SuiteService = { brokers, prefix: uniqueTopicPrefix(), databaseUrl: '', running: undefined as unknown as RunningApp };
  beforeAll(async () => {
    suite.databaseUrl = await createDatabase(def.service);
    suite.running = await startInProcess(def, { DATABASE_URL: suite.databaseUrl, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: suite.prefix, ...env });
  });
  afterAll(async () => {
    await suite.running?.close();
    if (suite.databaseUrl) await dropDatabase(suite.databaseUrl);
  });
  return suite;
}

export interface SpawnedService {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM and wait (graceful shutdown). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  logs(): string;
}

/** Runs a built service bundle (dist/apps/<name>/main.js) as its own process. */
export async function spawnService(name: string, env: Record<string, string>, { waitReady = true } = {}): Promise<SpawnedService> {
  const port = Number(env.PORT);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `eos-${name}-`));
  const logFile = path.join(logDir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'apps', name, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '10000', ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  // the log folder goes with the process, its text kept in memory (KEEP_TEST_LOGS=1 keeps the folder)
  let finalLogs: string | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      finalLogs = fs.readFileSync(logFile, 'utf8');
      if (!process.env.KEEP_TEST_LOGS) fs.rmSync(logDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const service: SpawnedService = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    logFile,
    logs: () => finalLogs ?? fs.readFileSync(logFile, 'utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  if (waitReady) {
    await waitUntil(
      `${name} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${service.logs().slice(-3000)}`);
        return (await fetch(`${service.url}/health/ready`).catch(() => null))?.ok;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }
  return service;
}
