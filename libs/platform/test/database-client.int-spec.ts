import { DataSource } from 'typeorm';
import { createDatabase, dropDatabase } from '@app/testing';
import { MAX_PREPARED_PER_CONNECTION, PreparedStatementClient } from '../src/database/prepared-client';

describe('PreparedStatementClient (real PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = await createDatabase('prepared');
    dataSource = new DataSource({ type: 'postgres', url, extra: { max: 1, Client: PreparedStatementClient } });
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
