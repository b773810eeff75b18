import { Client } from 'pg';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { isTransientError } from '@app/messaging';
import { createDatabase, dropDatabase } from '@app/testing';
import { BaseConfig } from '../src/config/base.config';
import { loadConfig } from '../src/config/load-config';
import { databaseOptions } from '../src/service.module';

class TestConfig extends BaseConfig {
  override PORT = 3000;
}

/** A service's DataSource exactly as ServiceModule builds it, from these environment variables. */
async function serviceDataSource(url: string, env: Record<string, string>, migrations: Function[] = []): Promise<DataSource> {
  const config = loadConfig(TestConfig, { DATABASE_URL: url, KAFKA_BROKERS: '127.0.0.1:9', ...env });
  const dataSource = new DataSource(databaseOptions({ service: 'timeout-test', config, entities: [], migrations }));
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

/** Migrations that take longer than the statement timeout the test sets, in a transaction and outside one. */
class SlowMigration1900000000001 implements MigrationInterface {
  name = 'SlowMigration1900000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT pg_sleep(0.6)');
    await q.query('CREATE TABLE slow_one (id int)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE slow_one');
  }
}

class SlowConcurrentMigration1900000000002 implements MigrationInterface {
  name = 'SlowConcurrentMigration1900000000002';
  transaction = false;
  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT pg_sleep(0.6)');
    await q.query('CREATE INDEX CONCURRENTLY slow_one_id ON slow_one (id)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX CONCURRENTLY slow_one_id');
  }
}

describe('DB_STATEMENT_TIMEOUT_MS (real PostgreSQL)', () => {
  const dataSources: DataSource[] = [];
  const urls: string[] = [];
  let holder: Client | undefined;

  afterEach(async () => {
    await holder?.end().catch(() => {});
    holder = undefined;
    for (const d of dataSources.splice(0)) await d.destroy().catch(() => {});
    for (const u of urls.splice(0)) await dropDatabase(u);
  });

  async function freshDatabase(): Promise<string> {
    const url = await createDatabase('statement_timeout');
    urls.push(url);
    return url;
  }

  it('cancels a statement that runs or waits for a lock longer, with an error the consumers and HTTP treat as transient', async () => {
    const url = await freshDatabase();
    const dataSource = await serviceDataSource(url, { DB_STATEMENT_TIMEOUT_MS: '300' });
    dataSources.push(dataSource);
    expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '300ms' }]);
    await dataSource.query('CREATE TABLE stock (sku text PRIMARY KEY, available int NOT NULL); INSERT INTO stock VALUES ($$HOT$$, 10)');

    const slow = await dataSource.query('SELECT pg_sleep(2)').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(slow).toMatchObject({ driverError: { code: '57014' } });
    expect(isTransientError(slow)).toBe(true);

    // a stuck session holds the hot row: the pool's statement waiting for it gives up and nothing is written
    holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM stock WHERE sku = $1 FOR UPDATE', ['HOT']);
    const t0 = Date.now();
    const waited = await dataSource
      .transaction((tx) => tx.query('UPDATE stock SET available = available - 1 WHERE sku = $1', ['HOT']))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(waited).toMatchObject({ driverError: { code: '57014' } });
    await holder.query('ROLLBACK');
    expect(await dataSource.query('SELECT available FROM stock')).toEqual([{ available: 10 }]);
  });

  it('exempts migrations, in a transaction or outside one, and leaves the timeout in place for the service afterwards', async () => {
    const url = await freshDatabase();
    // initialize() runs the migrations, as the services do at start
    const dataSource = await serviceDataSource(url, { DB_STATEMENT_TIMEOUT_MS: '200', DB_POOL_SIZE: '1' }, [
      SlowMigration1900000000001,
      SlowConcurrentMigration1900000000002,
    ]);
    dataSources.push(dataSource);
    const applied = await dataSource.query('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining(['SlowMigration1900000000001', 'SlowConcurrentMigration1900000000002']),
    );
    expect(await dataSource.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'slow_one'`)).toEqual([{ indexname: 'slow_one_id' }]);
    // the one pooled connection ran the migration outside a transaction: its timeout is back
    expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '200ms' }]);
  });

  it('0 sends none: the server setting applies', async () => {
    const url = await freshDatabase();
    const dataSource = await serviceDataSource(url, { DB_STATEMENT_TIMEOUT_MS: '0' });
    dataSources.push(dataSource);
    expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
  });
});
