import { InboxPruner } from '../src/inbox/inbox-pruner';
import { createOutboxDb, messagingOptions, OutboxDb } from './harness';

describe('inbox pruning (real PostgreSQL)', () => {
  let db: OutboxDb;

  afterEach(async () => {
    await db?.close();
  });

  it('deletes the rows older than INBOX_RETENTION_HOURS, in chunks, and keeps every younger one', async () => {
    db = await createOutboxDb();
    const insert = (count: number, age: string, consumer: string) =>
      db.dataSource.query(
        `INSERT INTO inbox (consumer, event_id, event_type, processed_at)
         SELECT $1, gen_random_uuid(), 'OrderPlaced', now() - $2::interval FROM generate_series(1, $3)`,
        [consumer, age, count],
      );
    await insert(12_000, '9 days', 'inventory'); // more than two chunks
    await insert(3, '193 hours', 'shipping');
    await insert(5, '191 hours', 'inventory');
    await insert(100, '1 second', 'shipping');

    const pruner = new InboxPruner({ ...messagingOptions(db.url, '127.0.0.1:1', ''), inbox: { retentionHours: 192 } }, db.dataSource);
    expect(await pruner.pruneOnce()).toBe(12_003);

    const left = await db.dataSource.query(`SELECT count(*)::int AS n, bool_and(processed_at > now() - interval '192 hours') AS all_young FROM inbox`);
    expect(left).toEqual([{ n: 105, all_young: true }]);
    expect(await pruner.pruneOnce()).toBe(0);
  });
});
