import { Client, QueryResult } from 'pg';
import { describeError, isPermanentPublishError } from './errors';
import { OutboxRow, RelayPublisher } from './publisher';
import { RelayStats } from './relay-stats';
import type { RelayMetrics } from '../metrics/messaging-metrics';
import { parseSnapshot } from './snapshot';
import { tracingEnabled } from '../tracing/tracing';
import { WakeGate } from './wake-gate';

export interface DrainOptions {
  lanes: number;
  batchSize: number;
}

/**
 * Moves outbox rows to Kafka over the relay's session, one batch at a time: claims the oldest rows of the
 * owned lanes (FOR UPDATE SKIP LOCKED), publishes them, and deletes them only after the broker acknowledged
 * them; a crash in between re-publishes them (at-least-once; consumers deduplicate). A row the broker refuses
 * for good is quarantined with its error, and the later rows of its key are held back behind it.
 *
 * The delete is deferred: the relay's transaction is left open after each claim, and the rows of a published
 * batch are deleted, and the transaction committed, in the same round trip as the next claim (see
 * publishBatch), or on their own (finishTransaction) when the relay goes quiet, rebalances or stops.
 */
export class OutboxDrain {
  /** The relay's transaction is open (left open after each claim, ended with the next one). */
  private txOpen = false;
  /** Ids of rows Kafka acknowledged, still locked by the open transaction, to delete with its commit. */
  private published: string[] = [];
  private anyQuarantined = true;
  private metrics: RelayMetrics | null = null;

  /** `renewPublisher`: a fresh producer, after a send the broker refused (its sequence is left behind). */
  constructor(
    private readonly options: DrainOptions,
    private readonly publisher: RelayPublisher,
    private readonly renewPublisher: () => Promise<void>,
    private readonly gate: WakeGate,
    private readonly stats: RelayStats,
    private readonly log: Pick<Console, 'error'>,
  ) {}

  instrument(metrics: RelayMetrics): void {
    this.metrics = metrics;
  }

  /** Whether a transaction is open, holding a published batch (or an empty claim) until the next claim ends it. */
  get transactionOpen(): boolean {
    return this.txOpen;
  }

  /**
   * Claims and publishes one batch from the owned lanes; returns how many were sent. One round trip per
   * batch: the claim ("BEGIN", the snapshot, the claim) goes as one simple-protocol query together with the
   * end of the previous batch's transaction (the delete of the rows Kafka acknowledged, and COMMIT). So a
   * published batch stays in the outbox, locked by the open transaction, until the next claim, at most
   * the poll interval later (or stop() or a rebalance ends the transaction); a crash in between re-publishes
   * it, as a crash between the broker's acknowledgement and the delete always did. Inlining is safe because
   * every value inlined is an integer this class produced or read back from the bigint id column.
   */
  async publishBatch(db: Client, owned: ReadonlySet<number>): Promise<number> {
    if (owned.size === 0) return 0;
    // a commit told of from here on is checked against the snapshot read below (see the relay's idle())
    this.gate.claimStarted();
    const claim = claimSql(this.options, owned, this.anyQuarantined, tracingEnabled());
    const finish = finishSql(this.published, this.txOpen);
    try {
      // the snapshot is read before the claim, so every commit it holds is visible to the claim too
      const results = (await db.query(`${finish.sql}BEGIN; SELECT pg_current_snapshot()::text AS snapshot; ${claim}`)) as unknown as QueryResult[];
      // the previous batch's delete is committed (a failure from here on leaves it committed)
      this.published = [];
      this.txOpen = true;
      this.gate.claimed(parseSnapshot(results[finish.statements + 1].rows[0].snapshot));
      const rows = results[finish.statements + 2].rows as OutboxRow[];
      if (rows.length === 0) {
        this.stats.emptyClaims++;
        return 0; // the empty transaction ends with the next claim
      }
      try {
        await this.publisher.publish(rows);
      } catch (err) {
        if (!isPermanentPublishError(err)) throw err;
        await this.rollback(db);
        await this.renewPublisher();
        // a full claim may have left rows behind although not all of it was sent: claim again, and
        // do not drop wakes on the strength of this claim's snapshot
        this.gate.forgetSnapshot();
        if (rows.length === this.options.batchSize) this.gate.claimAgain();
        return await this.isolatePoison(db, rows);
      }
      this.published = rows.map((r) => integer(r.id));
      this.stats.published += rows.length;
      this.stats.batches++;
      this.stats.lastPublishedAt = new Date();
      if (this.metrics) this.observe(rows, this.metrics);
      return rows.length;
    } catch (err) {
      // (also after a failed claim: the transaction may be open and aborted; rows Kafka has that were not
      // deleted go out again, which consumers deduplicate)
      await this.rollback(db);
      throw err;
    }
  }

  /** Counts a batch the broker acknowledged: its size, and each row's time from its creation to now. */
  private observe(rows: ClaimedRow[], metrics: RelayMetrics): void {
    const now = Date.now();
    metrics.published.inc(rows.length);
    metrics.batchSize.observe(rows.length);
    for (const row of rows) if (row.created_ms !== undefined) metrics.commitToPublish.observe(Math.max(0, now - row.created_ms) / 1000);
  }

  /** Ends the open transaction on its own round trip (when the relay goes quiet, before a rebalance, at stop). */
  async finishTransaction(db: Client | null): Promise<void> {
    const { sql } = finishSql(this.published, this.txOpen);
    if (!sql || !db) return;
    await db.query(sql);
    this.published = [];
    this.txOpen = false;
  }

  /** Whether any row is quarantined: read when lanes change hands, so a lane's new owner learns of its quarantined rows. */
  async readQuarantine(db: Client): Promise<void> {
    const q = await db.query('SELECT EXISTS (SELECT 1 FROM outbox WHERE quarantined_at IS NOT NULL) AS any');
    this.anyQuarantined = q.rows[0].any;
  }

  /** The session is gone, or a new one begins: no transaction is open on it, and nothing waits to be deleted. */
  reset(): void {
    this.txOpen = false;
    this.published = [];
  }

  private async rollback(db: Client): Promise<void> {
    this.published = [];
    this.txOpen = false;
    await db.query('ROLLBACK').catch(() => {});
  }

  /**
   * A batch was refused for good: send its rows one at a time, in order, so the row(s) the broker
   * refuses are quarantined with their error and every other key still goes out. Later rows of a
   * quarantined row's key stay in the outbox (held back, in order) until an operator deals with it.
   */
  private async isolatePoison(db: Client, rows: OutboxRow[]): Promise<number> {
    const held = new Set<string>();
    let sent = 0;
    for (const row of rows) {
      if (held.has(row.key)) continue;
      try {
        await this.publisher.publish([row]);
        await db.query('DELETE FROM outbox WHERE id = $1', [row.id]);
        sent++;
      } catch (err) {
        if (!isPermanentPublishError(err)) throw err;
        const reason = describeError(err);
        held.add(row.key);
        this.anyQuarantined = true;
        await db.query('UPDATE outbox SET quarantined_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1', [row.id, reason]);
        await this.renewPublisher(); // a refused send leaves the idempotent producer's sequence behind
        this.stats.quarantined++;
        this.log.error(`outbox relay: quarantined outbox row ${row.id} (${row.topic}, key ${row.key}): ${reason}`);
      }
    }
    this.stats.published += sent;
    this.metrics?.published.inc(sent);
    return sent + 1;
  }
}

/** A claimed row with its creation time (epoch milliseconds, the database's clock), for the commit-to-publish latency. */
type ClaimedRow = OutboxRow & { created_ms?: number };

/**
 * The claim: the oldest rows of the owned lanes, up to a batch (lane = key_hash % lanes). A key with a
 * quarantined row is held back so its order holds; that check is skipped while no row is quarantined, the
 * usual case. `traced` (tracing on): with the trace context each row was written in.
 */
export function claimSql(options: DrainOptions, owned: ReadonlySet<number>, anyQuarantined: boolean, traced = false): string {
  const lanes = [...owned].map((l) => integer(l)).join(',');
  return `SELECT id, topic, message_key AS key, payload, headers, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms${traced ? ', trace_parent AS "traceParent", trace_state AS "traceState"' : ''} FROM outbox o
          WHERE (key_hash % ${integer(options.lanes)})::int = ANY('{${lanes}}'::int[]) AND quarantined_at IS NULL
            ${anyQuarantined ? 'AND NOT EXISTS (SELECT 1 FROM outbox q WHERE q.message_key = o.message_key AND q.quarantined_at IS NOT NULL)' : ''}
          ORDER BY id LIMIT ${integer(options.batchSize)} FOR UPDATE SKIP LOCKED`;
}

/** The statements that end the open transaction: the delete of the published rows (if any), and COMMIT. */
export function finishSql(published: readonly string[], txOpen: boolean): { sql: string; statements: number } {
  if (published.length > 0) return { sql: `DELETE FROM outbox WHERE id = ANY('{${published.join(',')}}'::bigint[]); COMMIT; `, statements: 2 };
  return txOpen ? { sql: 'COMMIT; ', statements: 1 } : { sql: '', statements: 0 };
}

/** A value about to be inlined into SQL: it must be a plain non-negative integer. */
export function integer(value: number | string): string {
  const text = String(value);
  if (!/^\d{1,19}$/.test(text)) throw new Error(`refusing to inline ${JSON.stringify(text)} into SQL`);
  return text;
}
