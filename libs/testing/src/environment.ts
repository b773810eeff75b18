import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { infra } from './infra';

/** The broker and PostgreSQL server the global setup started for this run. */
export function sharedInfra(): { brokers: string; pgUrl: string } {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  const pgUrl = process.env.TEST_PG_URL;
  if (!brokers || !pgUrl) throw new Error('test infrastructure is not up: run integration tests through jest (globalSetup)');
  return { brokers, pgUrl };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** A fresh database on the shared server; returns its URL. */
export async function createDatabase(prefix: string, serverUrl = sharedInfra().pgUrl): Promise<string> {
  const name = uniqueName(prefix);
  await infra.ensureDatabases(serverUrl, [name]);
  return infra.databaseUrl(serverUrl, name);
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const server = infra.databaseUrl(url, 'postgres');
  await infra.dropDatabases(server, [name]).catch(() => {});
}

/** A topic prefix no other test file uses, so that each file sees only its own events. */
export function uniqueTopicPrefix(): string {
  return `t${randomBytes(4).toString('hex')}.`;
}

export async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Makes the database read-only (or writable again) for every session, as a failover does to the server its
 * address leads to: the setting is the database's, and its open sessions are ended, so pools connect again.
 */
export async function setDatabaseReadOnly(url: string, readOnly: boolean): Promise<void> {
  // a session that asks for writes at connect, as an operator's would: the database's setting would deny it DDL too
  const admin = new Client({ connectionString: url, options: '-c default_transaction_read_only=off' });
  await admin.connect();
  try {
    const change = readOnly ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only';
    await admin.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I ${change}', current_database()); END $$`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  } finally {
    await admin.end();
  }
}
