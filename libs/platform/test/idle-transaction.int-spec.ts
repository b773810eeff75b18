import { Client } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { createDatabase, dropDatabase } from '@app/testing';
import { BaseConfig } from '../src/config/base.config';
import { loadConfig } from '../src/config/load-config';
import { databaseOptions } from '../src/service.module';

class TestConfig extends BaseConfig {
  override PORT = 3000;
}

/** A service's DataSource exactly as ServiceModule builds it, from these environment variables. */
async function serviceDataSource(url: string, env: Record<string, string>): Promise<DataSource> {
  const config = loadConfig(TestConfig, { DATABASE_URL: url, KAFKA_BROKERS: '127.0.0.1:9', ...env });
  const dataSource = new DataSource(databaseOptions({ service: 'idle-test', config, entities: [], migrations: [] }));
  await dataSource.initialize();
  return dataSource;
}

describe('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS (real PostgreSQL)', () => {
  let url: string;
  const dataSources: DataSource[] = [];
  const runners: QueryRunner[] = [];
  let other: Client | undefined;

  beforeAll(async () => {
    url = await createDatabase('idle_tx');
    const setup = new Client({ connectionString: url });
    await setup.connect();
    await setup.query('CREATE TABLE stock (sku text PRIMARY KEY, available int NOT NULL); INSERT INTO stock VALUES ($$HOT$$, 10)');
    await setup.end();
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.release().catch(() => {});
    for (const d of dataSources.splice(0)) await d.destroy().catch(() => {});
    await other?.end().catch(() => {});
    other = undefined;
  });

  afterAll(async () => {
    await dropDatabase(url);
  });

  /** A transaction that locks the hot row, then goes quiet (a frozen or cut-off process). */
  async function holdRowLock(dataSource: DataSource): Promise<QueryRunner> {
    const runner = dataSource.createQueryRunner();
    runners.push(runner);
    await runner.startTransaction();
    await runner.query('SELECT available FROM stock WHERE sku = $1 FOR UPDATE', ['HOT']);
    return runner;
  }

  /** Whether another session can take the row lock within `ms`. */
  async function canLockRow(ms: number): Promise<boolean> {
    other = new Client({ connectionString: url });
    await other.connect();
    await other.query(`SET lock_timeout = ${ms}`);
    try {
      await other.query('BEGIN');
      await other.query('SELECT available FROM stock WHERE sku = $1 FOR UPDATE', ['HOT']);
      await other.query('ROLLBACK');
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') return false; // lock_not_available
      throw err;
    }
  }

  it('PostgreSQL ends a session left in its transaction: the lock is freed, that transaction fails and commits nothing, a retry succeeds', async () => {
    const dataSource = await serviceDataSource(url, { DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '300', DB_POOL_SIZE: '2' });
    dataSources.push(dataSource);
    expect(await dataSource.query('SHOW idle_in_transaction_session_timeout')).toEqual([{ idle_in_transaction_session_timeout: '300ms' }]);

    const frozen = await holdRowLock(dataSource);
    await new Promise((r) => setTimeout(r, 1000));
    // the row another replica's reservation needs is free again
    expect(await canLockRow(2000)).toBe(true);
    // the frozen transaction, when its process wakes up, fails (TypeORM has released its ended connection), so
    // nothing half-done is committed, and the consumer or the request runs it again on a fresh connection
    const error = await frozen.query('UPDATE stock SET available = available - 1 WHERE sku = $1', ['HOT']).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    await frozen.rollbackTransaction().catch(() => {});
    await frozen.release().catch(() => {});
    expect(await dataSource.query('SELECT available FROM stock WHERE sku = $1', ['HOT'])).toEqual([{ available: 10 }]);
    // the retry: the pool replaces the ended connection
    await dataSource.transaction((tx) => tx.query('UPDATE stock SET available = available - 1 WHERE sku = $1', ['HOT']));
    expect(await dataSource.query('SELECT available FROM stock WHERE sku = $1', ['HOT'])).toEqual([{ available: 9 }]);
  });

  it('0 turns it off: the server setting applies and the lock stays with its transaction', async () => {
    const dataSource = await serviceDataSource(url, { DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' });
    dataSources.push(dataSource);
    expect(await dataSource.query('SHOW idle_in_transaction_session_timeout')).toEqual([{ idle_in_transaction_session_timeout: '0' }]);
    const holder = await holdRowLock(dataSource);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await canLockRow(300)).toBe(false);
    await holder.rollbackTransaction();
  });
});
