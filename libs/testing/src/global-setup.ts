import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { infra } from './infra';

const PREFIX = 'eos-test-';

function isAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops what an earlier, killed test run left behind (its owner process is gone). */
async function reapStaleRuns(): Promise<void> {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    const state = infra.readState(dir);
    const ageMs = Date.now() - fs.statSync(dir).mtimeMs;
    if (state ? isAlive(state.owner) : ageMs < 5 * 60_000) continue;
    await infra.stackDown({ dir, quiet: true }).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One Kafka broker and one PostgreSQL server for the whole run; each test file makes its own databases and topic prefix. */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  await reapStaleRuns();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  const state = await infra.stackUp({ dir, durable: false, quiet: true, databaseUrl: process.env.TEST_DATABASE_URL || undefined });
  process.env.TEST_INFRA_DIR = dir;
  process.env.TEST_KAFKA_BROKERS = state.kafka.brokers;
  process.env.TEST_PG_URL = state.postgres.url;
  process.stderr.write(`\n[test infra] Kafka ${state.kafka.brokers} and PostgreSQL up in ${((Date.now() - started) / 1000).toFixed(1)}s (${dir})\n`);
}
