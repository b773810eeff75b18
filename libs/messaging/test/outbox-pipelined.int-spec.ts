import { Socket } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DatabaseClient, deferred } from '@app/database';
import { createDatabase, dropDatabase } from '@app/testing';
import { MESSAGING_MIGRATIONS, Outbox } from '../src';
import { OUTBOX_ENQUEUED } from '../src/outbox/outbox.service';
import { OUTBOX_NOTIFY_CHANNEL } from '../src/outbox/outbox.sql';
import { messagingOptions, sequenced, uuids } from './harness';

/** Socket writes of this process while `work` runs (only PostgreSQL is connected here). */
async function socketWrites(work: () => Promise<unknown>): Promise<number> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    proto[method] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return originals[method].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return writes;
}

describe('outbox with the pipelining database client (real PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = await createDatabase('pipelined-outbox');
    dataSource = new DataSource({
      type: 'postgres',
      url,
      migrations: MESSAGING_MIGRATIONS,
      extra: { max: 1, Client: DatabaseClient, pipelineTransactions: true },
    });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.query('CREATE TABLE orders_like (id uuid PRIMARY KEY)');
    await dataSource.query('SELECT 1'); // the pool's connection is open before anything is counted
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropDatabase(url);
  });

  it.each([
    ['no other relay listens', false],
    ['other relays listen (with its NOTIFY)', true],
  ])('a place-order transaction (events, a row, COMMIT) is one write to the database when %s', async (_, notify) => {
    const listener = new Client({ connectionString: url });
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.connect();
    await listener.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    try {
      const outbox = new Outbox(messagingOptions(url, '127.0.0.1:1', ''), { notifyOtherRelays: () => notify });
      const [key] = uuids(1);
      let data: Record<string, unknown> = {};
      const writes = await socketWrites(() =>
        dataSource.transaction(async (tx) => {
          data = tx.queryRunner!.data as Record<string, unknown>;
          await outbox.enqueue(tx, [sequenced(key, 0)]);
          await tx.query(deferred('INSERT INTO orders_like (id) VALUES ($1)'), [key]);
        }),
      );
      expect(writes).toBe(1);
      expect(await dataSource.query('SELECT count(*)::int AS n FROM outbox WHERE message_key = $1', [key])).toEqual([{ n: 1 }]);
      expect(await dataSource.query('SELECT count(*)::int AS n FROM orders_like WHERE id = $1', [key])).toEqual([{ n: 1 }]);
      // the transaction's id, for the relay's wake, came back with the COMMIT's round trip
      expect(String(data[OUTBOX_ENQUEUED])).toMatch(/^\d+$/);
      await new Promise((r) => setTimeout(r, 200));
      expect(notified).toEqual(notify ? [data[OUTBOX_ENQUEUED]] : []);
    } finally {
      await listener.end();
    }
  });
});
