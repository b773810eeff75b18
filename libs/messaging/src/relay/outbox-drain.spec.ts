import { Client } from 'pg';
import { claimSql, finishSql, integer, OutboxDrain } from './outbox-drain';
import { OutboxRow, RelayPublisher } from './publisher';
import { newRelayStats } from './relay-stats';
import { WakeGate } from './wake-gate';

const row = (id: number, key = `k${id}`, payload = 'ok'): OutboxRow => ({ id: String(id), topic: 'orders.events', key, payload, headers: {} });
const tooLarge = () => Object.assign(new Error('too large'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE' });

/** A session that answers each claim with the next batch of `claims`, and records every query sent (one per round trip). */
function fakeSession(claims: OutboxRow[][]) {
  const sent: string[] = [];
  const query = jest.fn(async (sql: string) => {
    sent.push(sql.replace(/\s+/g, ' ').trim());
    if (!sql.includes('BEGIN;')) return { rows: [] };
    const results = sql
      .split(';')
      .filter((s) => s.trim())
      .map(() => ({ rows: [] as unknown[] }));
    results[results.length - 2].rows = [{ snapshot: '500:500:' }];
    results[results.length - 1].rows = claims.shift() ?? [];
    return results;
  });
  return { db: { query } as unknown as Client, sent };
}

function drainWith(publish: (rows: OutboxRow[]) => Promise<void> = async () => {}) {
  const publisher: RelayPublisher = { connect: async () => {}, disconnect: async () => {}, publish: jest.fn(publish) };
  const renew = jest.fn(async () => {});
  const gate = new WakeGate();
  const stats = newRelayStats();
  const log = { error: jest.fn() };
  const drain = new OutboxDrain({ lanes: 16, batchSize: 3 }, publisher, renew, gate, stats, log);
  return { drain, publisher, renew, gate, stats, log };
}

describe('OutboxDrain (claim, publish, deferred delete, quarantine)', () => {
  it('claims the oldest rows of the owned lanes, holding back keys with a quarantined row only while there are any', () => {
    const sql = (anyQuarantined: boolean) => claimSql({ lanes: 16, batchSize: 500 }, new Set([3, 0, 7]), anyQuarantined).replace(/\s+/g, ' ');
    expect(sql(false)).toBe(
      "SELECT id, topic, message_key AS key, payload, headers, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms FROM outbox o WHERE (key_hash % 16)::int = ANY('{3,0,7}'::int[]) AND quarantined_at IS NULL ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED",
    );
    expect(sql(true)).toContain(
      'AND quarantined_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox q WHERE q.message_key = o.message_key AND q.quarantined_at IS NOT NULL) ORDER BY id',
    );
  });

  it('ends the open transaction with the delete of the published rows and COMMIT, or COMMIT alone, or nothing', () => {
    expect(finishSql(['1', '2'], true)).toEqual({ sql: "DELETE FROM outbox WHERE id = ANY('{1,2}'::bigint[]); COMMIT; ", statements: 2 });
    expect(finishSql([], true)).toEqual({ sql: 'COMMIT; ', statements: 1 });
    expect(finishSql([], false)).toEqual({ sql: '', statements: 0 });
  });

  it('inlines only plain non-negative integers', () => {
    expect(integer(42)).toBe('42');
    expect(integer('9007199254740993')).toBe('9007199254740993');
    expect(() => integer('1); DROP TABLE outbox; --')).toThrow('refusing to inline');
    expect(() => integer(-1)).toThrow('refusing to inline');
    expect(() => integer(1.5)).toThrow('refusing to inline');
  });

  it("publishes a batch per round trip: each claim carries the previous batch's delete and COMMIT", async () => {
    const { drain, publisher, gate, stats } = drainWith();
    const { db, sent } = fakeSession([[row(1), row(2), row(3)], [row(4)], []]);
    const lanes = new Set([0, 1]);

    expect(await drain.publishBatch(db, lanes)).toBe(3);
    expect(await drain.publishBatch(db, lanes)).toBe(1);
    expect(await drain.publishBatch(db, lanes)).toBe(0);
    expect(sent.map((s) => s.slice(0, s.indexOf('SELECT id')))).toEqual([
      'BEGIN; SELECT pg_current_snapshot()::text AS snapshot; ',
      "DELETE FROM outbox WHERE id = ANY('{1,2,3}'::bigint[]); COMMIT; BEGIN; SELECT pg_current_snapshot()::text AS snapshot; ",
      "DELETE FROM outbox WHERE id = ANY('{4}'::bigint[]); COMMIT; BEGIN; SELECT pg_current_snapshot()::text AS snapshot; ",
    ]);
    expect(publisher.publish).toHaveBeenCalledTimes(2);
    expect(stats).toMatchObject({ published: 4, batches: 2, emptyClaims: 1 });
    expect(drain.transactionOpen).toBe(true); // the empty claim's transaction ends with the next claim

    // the claim's snapshot gates later wakes
    gate.wake(499n);
    expect(gate.wokenSinceClaim()).toBe(false);
  });

  it('ends the transaction on its own round trip when no claim comes, and then has nothing to end', async () => {
    const { drain } = drainWith();
    const { db, sent } = fakeSession([[row(1)]]);
    await drain.publishBatch(db, new Set([0]));
    await drain.finishTransaction(db);
    await drain.finishTransaction(db);
    expect(sent.slice(1)).toEqual(["DELETE FROM outbox WHERE id = ANY('{1}'::bigint[]); COMMIT;"]);
    expect(drain.transactionOpen).toBe(false);
  });

  it('claims nothing without lanes', async () => {
    const { drain } = drainWith();
    const { db, sent } = fakeSession([[row(1)]]);
    expect(await drain.publishBatch(db, new Set())).toBe(0);
    expect(sent).toEqual([]);
  });

  it('rolls back and rethrows when a batch fails for a passing reason: the rows stay for the next claim', async () => {
    const down = Object.assign(new Error('gone'), { name: 'KafkaJSConnectionError' });
    const { drain, stats } = drainWith(async () => Promise.reject(down));
    const { db, sent } = fakeSession([[row(1)]]);
    await expect(drain.publishBatch(db, new Set([0]))).rejects.toBe(down);
    expect(sent[1]).toBe('ROLLBACK');
    expect(drain.transactionOpen).toBe(false);
    expect(stats.published).toBe(0);
  });

  it('quarantines the row the broker refuses for good, holds back the rest of its key, and sends every other row', async () => {
    const { drain, publisher, renew, gate, stats, log } = drainWith(async (rows) => {
      if (rows.some((r) => r.payload === 'poison')) throw tooLarge();
    });
    const { db, sent } = fakeSession([[row(1, 'a'), row(2, 'p', 'poison'), row(3, 'p')]]);

    expect(await drain.publishBatch(db, new Set([0]))).toBe(2); // one sent, plus one: the loop claims again at once
    expect(sent.slice(1)).toEqual([
      'ROLLBACK',
      'DELETE FROM outbox WHERE id = $1',
      'UPDATE outbox SET quarantined_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1',
    ]);
    expect((publisher.publish as jest.Mock).mock.calls.map(([rows]) => rows.map((r: OutboxRow) => r.id))).toEqual([['1', '2', '3'], ['1'], ['2']]);
    expect(renew).toHaveBeenCalledTimes(2); // after the refused batch, and after the refused row
    expect(stats).toMatchObject({ published: 1, quarantined: 1, batches: 0 });
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('quarantined outbox row 2 (orders.events, key p)'));
    // the full claim may have left rows behind: claim again, whatever its snapshot saw
    expect(gate.wokenSinceClaim()).toBe(true);
    // the next claims hold back keys with a quarantined row
    const next = fakeSession([[]]);
    await drain.publishBatch(next.db, new Set([0]));
    expect(next.sent[0]).toContain('AND NOT EXISTS');
  });
});
