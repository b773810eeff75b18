import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDatabase, dropDatabase, query } from '@app/testing';
import { DatabaseClient, DatabaseClientConfig, MAX_PREPARED_PER_CONNECTION } from '../src/database-client';
import { deferred, settledRows } from '../src/deferred';

describe('DatabaseClient: prepared statements (real PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = await createDatabase('prepared');
    dataSource = new DataSource({ type: 'postgres', url, extra: { max: 1, Client: DatabaseClient, preparedStatements: true } });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropDatabase(url);
  });

  const preparedOnConnection = async () =>
    (await dataSource.query(`SELECT statement FROM pg_prepared_statements WHERE name LIKE 's\\_%'`)).map((r: { statement: string }) => r.statement);

  it('prepares a statement with parameters once per connection and reuses it; other statements run as before', async () => {
    const sql = 'SELECT $1::int + $2::int AS sum';
    expect(await dataSource.query(sql, [1, 2])).toEqual([{ sum: 3 }]);
    expect(await dataSource.query(sql, [40, 2])).toEqual([{ sum: 42 }]);
    expect(await dataSource.query(`SELECT 'no parameters' AS text`)).toEqual([{ text: 'no parameters' }]);
    expect((await preparedOnConnection()).filter((s: string) => s === sql)).toHaveLength(1);
    expect(await preparedOnConnection()).not.toContain(`SELECT 'no parameters' AS text`);
  });

  it('works inside transactions and reports errors as unnamed statements would', async () => {
    await dataSource.query('CREATE TABLE items (id int PRIMARY KEY)');
    await dataSource.transaction((tx) => tx.query('INSERT INTO items (id) VALUES ($1)', [1]));
    await expect(dataSource.transaction((tx) => tx.query('INSERT INTO items (id) VALUES ($1)', [1]))).rejects.toThrow(/duplicate key/);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM items WHERE id = $1', [1])).toEqual([{ n: 1 }]);
  });

  it('a value that cannot be sent fails its query and leaves the prepared statement usable', async () => {
    const sql = 'SELECT $1::jsonb AS doc';
    expect(await dataSource.query(sql, [{ ok: true }])).toEqual([{ doc: { ok: true } }]);
    await expect(dataSource.query(sql, [{ big: BigInt(1) }])).rejects.toThrow(/BigInt/);
    expect(await dataSource.query(sql, [{ ok: 'again' }])).toEqual([{ doc: { ok: 'again' } }]);
  });

  it('keeps at most MAX_PREPARED_PER_CONNECTION statements per connection', async () => {
    for (let i = 0; i < MAX_PREPARED_PER_CONNECTION + 20; i++) await dataSource.query(`SELECT $1::int AS v${i}`, [i]);
    expect((await preparedOnConnection()).length).toBe(MAX_PREPARED_PER_CONNECTION);
    expect(await dataSource.query(`SELECT $1::int AS v${MAX_PREPARED_PER_CONNECTION + 19}`, [7])).toEqual([{ [`v${MAX_PREPARED_PER_CONNECTION + 19}`]: 7 }]);
  });
});

describe('DatabaseClient: pipelined transactions (real PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;
  const clients: Client[] = [];

  /** A connected client of its own, and how many times it has written to the socket. */
  const connect = async (config: Partial<DatabaseClientConfig> = {}) => {
    const client = new DatabaseClient({ connectionString: url, pipelineTransactions: true, ...config });
    clients.push(client);
    await client.connect();
    const stream = (client as any).connection.stream;
    const writes = { count: 0 };
    for (const method of ['_write', '_writev'] as const) {
      const original = stream[method].bind(stream);
      stream[method] = (...args: unknown[]) => {
        writes.count++;
        return original(...args);
      };
    }
    return { client, writes };
  };
  const items = async () => (await query(url, 'SELECT id FROM items ORDER BY id')).map((r) => r.id);

  beforeAll(async () => {
    url = await createDatabase('pipelined');
    await query(url, 'CREATE TABLE items (id int PRIMARY KEY)');
    dataSource = new DataSource({ type: 'postgres', url, extra: { max: 2, Client: DatabaseClient, pipelineTransactions: true } });
    await dataSource.initialize();
  });

  beforeEach(() => query(url, 'TRUNCATE items'));

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await dataSource?.destroy();
    await dropDatabase(url);
  });

  it('sends BEGIN, deferred writes and COMMIT in one write and waits once', async () => {
    const { client, writes } = await connect();
    const before = writes.count;
    expect((await client.query('START TRANSACTION')).command).toBe('BEGIN');
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
    expect(writes.count).toBe(before); // nothing sent yet
    expect((await client.query('COMMIT')).command).toBe('COMMIT');
    expect(writes.count).toBe(before + 1);
    expect(await items()).toEqual([1, 2]);

    // without pipelining the same transaction is four writes (and four waits)
    const plain = await connect({ pipelineTransactions: false });
    const plainBefore = plain.writes.count;
    await plain.client.query('START TRANSACTION');
    await plain.client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [3]);
    await plain.client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [4]);
    await plain.client.query('COMMIT');
    expect(plain.writes.count).toBe(plainBefore + 4);
    expect(await items()).toEqual([1, 2, 3, 4]);
  });

  it('does not wait for a deferred write: it runs with the next statement that needs an answer', async () => {
    await query(url, 'INSERT INTO items (id) VALUES (1)');
    const holder = await connect({ pipelineTransactions: false });
    await holder.client.query('BEGIN');
    await holder.client.query('SELECT id FROM items WHERE id = 1 FOR UPDATE'); // holds the row
    const { client } = await connect();
    await client.query('BEGIN');
    // answered although the row it updates is locked by another transaction: it was not sent yet
    await client.query(deferred('UPDATE items SET id = $1 WHERE id = $2'), [10, 1]);
    const reading = client.query('SELECT id FROM items ORDER BY id'); // sends the update, then this: both wait for the lock
    await holder.client.query('COMMIT');
    expect((await reading).rows).toEqual([{ id: 10 }]); // the read saw the deferred update
    await client.query('COMMIT');
    expect(await items()).toEqual([10]);
  });

  it('a deferred write that fails fails the next statement with its own error, and the transaction rolls back', async () => {
    await query(url, 'INSERT INTO items (id) VALUES (1)');
    await expect(
      dataSource.transaction(async (tx) => {
        await tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
        await tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]); // duplicate key
        await tx.query('SELECT count(*) FROM items'); // gets the duplicate key error, not "transaction is aborted"
      }),
    ).rejects.toThrow(/duplicate key value violates unique constraint "items_pkey"/);
    expect(await items()).toEqual([1]);
    // the connection goes on working
    await dataSource.transaction((tx) => tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [3]));
    expect(await items()).toEqual([1, 3]);
  });

  it('a deferred write that fails fails the COMMIT: nothing of the transaction stays', async () => {
    await query(url, 'INSERT INTO items (id) VALUES (1)');
    await expect(
      dataSource.transaction(async (tx) => {
        await tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
        await tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await items()).toEqual([1]);
    expect(await dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('answers the rows a deferred write returns once it ran, and runs it at once outside a transaction', async () => {
    const { client } = await connect();
    await client.query('BEGIN');
    const held = await client.query(deferred('INSERT INTO items (id) VALUES ($1) RETURNING id * 2 AS twice'), [21]);
    expect(held.rows).toEqual([]);
    const settled = settledRows(held.rows);
    await client.query('COMMIT');
    expect(await settled).toEqual([{ twice: 42 }]);

    const direct = await client.query(deferred('INSERT INTO items (id) VALUES ($1) RETURNING id * 2 AS twice'), [5]);
    expect(direct.rows).toEqual([{ twice: 10 }]);
    expect(await settledRows(direct.rows)).toEqual([{ twice: 10 }]);
  });

  it('a transaction that never reached the server costs no round trip to commit or roll back', async () => {
    const { client, writes } = await connect();
    const before = writes.count;
    await client.query('BEGIN');
    await client.query('COMMIT');
    await client.query('BEGIN');
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
    await client.query('ROLLBACK');
    expect(writes.count).toBe(before);
    expect(await items()).toEqual([]);
    // a rolled-back transaction that did reach the server is rolled back there
    await client.query('BEGIN');
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
    expect((await client.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 1 }]);
    await client.query('ROLLBACK');
    expect(await items()).toEqual([]);
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('without pipelining, statements issued together run one after the other, without pg queueing them', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { client, writes } = await connect({ pipelineTransactions: false });
      const before = writes.count;
      const results = await Promise.all([1, 2, 3].map((n) => client.query('SELECT $1::int AS n, pg_sleep(0.01)', [n])));
      expect(results.map((r) => r.rows[0].n)).toEqual([1, 2, 3]);
      expect(writes.count).toBe(before + 3);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => /already executing a query/.test(w))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a connection lost with a BEGIN and writes held fails the statement waited for, and nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { client } = await connect();
      client.on('error', () => {});
      const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
      await client.query('BEGIN');
      await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
      await query(url, 'SELECT pg_terminate_backend($1)', [pid]);
      await expect(client.query('SELECT count(*) FROM items')).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
      expect(await items()).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a held write sent early (its rows asked for) that fails is reported by the next statement waited for', async () => {
    await query(url, 'INSERT INTO items (id) VALUES (1)');
    const { client } = await connect();
    await client.query('BEGIN');
    const held = await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
    await expect(settledRows(held.rows, { sendNow: true })).rejects.toThrow(/duplicate key/);
    // its own error, not "current transaction is aborted"
    await expect(client.query('SELECT count(*) FROM items')).rejects.toThrow(/duplicate key/);
    await client.query('ROLLBACK');
    expect((await client.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 1 }]);
  });

  it('a nested transaction that fails rolls back to its savepoint, held writes and all; the outer one commits', async () => {
    await dataSource.transaction(async (tx) => {
      await tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
      await expect(
        tx.transaction(async (inner) => {
          await inner.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
          await inner.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]); // would fail, but is never sent
          throw new Error('business rule failed in the nested transaction');
        }),
      ).rejects.toThrow('business rule failed');
      await tx.query(deferred('INSERT INTO items (id) VALUES ($1)'), [3]);
    });
    expect(await items()).toEqual([1, 3]);
    expect(await dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('a transaction abandoned before it reached the server is not taken over by the next one', async () => {
    const { client } = await connect();
    await client.query('BEGIN');
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
    // no COMMIT, no ROLLBACK: the connection goes back to the pool like that, and is borrowed again
    await client.query('BEGIN');
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
    await client.query('COMMIT');
    expect(await items()).toEqual([2]);
  });

  it('refuses a value it cannot send when the write is deferred, not later', async () => {
    const { client } = await connect();
    await client.query('BEGIN');
    await expect(client.query(deferred('INSERT INTO items (id) VALUES ($1::int)'), [{ big: BigInt(1) }])).rejects.toThrow(/BigInt/);
    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
});
