import { Client, QueryResult } from 'pg';
import { LockClass, OUTBOX_NOTIFY_CHANNEL } from '../outbox/outbox.sql';
import { describeError, isPermanentPublishError } from './errors';
import { isTransientError } from '../errors';
import { OutboxRow, RelayPublisher } from './publisher';
import { committedBefore, parseSnapshot, parseXid, Snapshot } from './snapshot';

export interface RelayOptions {
  databaseUrl: string;
  lanes: number;
  batchSize: number;
  pollIntervalMs: number;
  /** How often lane ownership is re-balanced between running instances. */
  rebalanceIntervalMs?: number;
  logger?: Pick<Console, 'log' | 'warn' | 'error'>;
}

/** Most relay instances that can share one outbox (one membership lock slot each). */
const MEMBER_SLOTS = 64;

/**
 * How long a published batch's delete (and its transaction) waits for the next claim to carry it, before it
 * goes on its own round trip: under a steady load the next claim comes sooner, and a quiet relay holds no
 * transaction open.
 */
const FINISH_LINGER_MS = 100;

export interface RelayStats {
  published: number;
  batches: number;
  failures: number;
  quarantined: number;
  ownedLanes: number;
  lastError: string | null;
  lastPublishedAt: Date | null;
  running: boolean;
  /** Claims that found nothing to publish (the poll, or a wake for rows another claim already took). */
  emptyClaims: number;
  /** Relay instances over this outbox, this one included, at the last rebalance (null: not known yet). */
  members: number | null;
}

export interface OutboxBacklog {
  /** Rows waiting to be published (not counting those held behind a quarantined row of their key). */
  pending: number;
  oldestAgeMs: number;
  quarantined: number;
  heldBehindQuarantine: number;
}

/**
 * Publishes committed outbox rows to Kafka, then deletes them. Any number of instances may run
 * over one outbox: keys hash into lanes, each lane is owned by one instance at a time through a
 * session advisory lock, and instances share the lanes evenly (they count each other through a
 * membership lock), so order per key holds without a leader. Rows are claimed with
 * FOR UPDATE SKIP LOCKED and deleted in the same transaction only after the broker acknowledged
 * them; a crash in between re-publishes them (at-least-once; consumers deduplicate).
 */
export class OutboxRelay {
  private db: Client | null = null;
  private listener: Client | null = null;
  private readonly owned = new Set<number>();
  private running = false;
  private stopping = false;
  private drainDeadline = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  /** A wake that did not say which transaction committed: the next idle() claims again. */
  private pendingWake = false;
  /** Transactions told of (NOTIFY, local commits) since the last claim began. */
  private pendingXids: bigint[] = [];
  /** The snapshot read just before the last claim: commits visible in it need no further claim. */
  private lastSnapshot: Snapshot | null = null;
  private lastRebalance = 0;
  private backoffMs = 0;
  /**
   * The relay's transaction is left open after each claim: the rows of a published batch are deleted, and
   * the transaction committed, in the same round trip as the next claim (see drainOnce).
   */
  private txOpen = false;
  /** Ids of rows Kafka acknowledged, still locked by the open transaction, to delete with its commit. */
  private published: string[] = [];
  private publisherConnected = false;
  private anyQuarantined = true;
  readonly stats: RelayStats = {
    published: 0,
    batches: 0,
    failures: 0,
    quarantined: 0,
    ownedLanes: 0,
    lastError: null,
    lastPublishedAt: null,
    running: false,
    emptyClaims: 0,
    members: null,
  };
  private readonly log: Pick<Console, 'log' | 'warn' | 'error'>;

  constructor(
    private readonly options: RelayOptions,
    private readonly publisher: RelayPublisher,
  ) {
    this.log = options.logger ?? console;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.stats.running = true;
    this.loopDone = this.loop();
  }

  /**
   * Stops after the batch in flight; with `drainMs`, the loop first keeps publishing until the
   * owned lanes are empty or the time is up (graceful shutdown flushes the outbox).
   */
  async stop(drainMs = 0): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.drainDeadline = Date.now() + drainMs;
    this.wake();
    await this.loopDone;
    this.running = false;
    this.stats.running = false;
    await this.finishTransaction().catch(() => {}); // not deleted: re-published by the next relay (consumers deduplicate)
    await this.closeConnections();
    if (this.publisherConnected) await this.publisher.disconnect().catch(() => {});
    this.publisherConnected = false;
  }

  /**
   * Makes the loop look for rows now (the service's own commits do this in-process; a commit's NOTIFY,
   * sent while other relays run over the outbox, does it for every relay). With the committed
   * transaction's id, a wake for rows that a claim begun after that commit already saw is dropped: a
   * commit can be told twice (its process's wake, then its NOTIFY), and each would otherwise cost an
   * empty claim (a round trip) after every publish.
   */
  wake(xid: bigint | null = null): void {
    if (xid === null) this.pendingWake = true;
    else if (this.lastSnapshot && committedBefore(xid, this.lastSnapshot)) return;
    else if (this.pendingXids.push(xid) > 10_000) this.pendingWake = true;
    this.wakeUp?.();
  }

  /**
   * Whether this is the only relay over its outbox and owns every lane (as of its last rebalance, at
   * most `rebalanceIntervalMs` ago): then commits of its own process, which wake it directly, need no
   * NOTIFY. Lanes change hands only in a rebalance, where the count is taken too. Not known (not
   * connected yet, or lost its session): false.
   */
  alone(): boolean {
    return this.running && this.db !== null && this.stats.members === 1 && this.owned.size === this.options.lanes;
  }

  /** Backlog figures for health and metrics, read from the outbox table itself. */
  static async backlog(query: (sql: string) => Promise<any[]>): Promise<OutboxBacklog> {
    const [row] = await query(
      `WITH q AS (SELECT DISTINCT message_key FROM outbox WHERE quarantined_at IS NOT NULL)
       SELECT count(*) FILTER (WHERE o.quarantined_at IS NULL AND q.message_key IS NULL)::int AS pending,
              coalesce(extract(epoch FROM clock_timestamp() - min(o.created_at) FILTER (WHERE o.quarantined_at IS NULL AND q.message_key IS NULL)) * 1000, 0)::float8 AS age,
              count(*) FILTER (WHERE o.quarantined_at IS NOT NULL)::int AS quarantined,
              count(*) FILTER (WHERE o.quarantined_at IS NULL AND q.message_key IS NOT NULL)::int AS held
         FROM outbox o LEFT JOIN q ON q.message_key = o.message_key`,
    );
    return { pending: row.pending, oldestAgeMs: Math.round(row.age), quarantined: row.quarantined, heldBehindQuarantine: row.held };
  }

  private async loop(): Promise<void> {
    while (!(this.stopping && Date.now() >= this.drainDeadline)) {
      try {
        if (!this.publisherConnected) {
          await this.publisher.connect();
          this.publisherConnected = true;
        }
        if (!this.db) await this.connect();
        if (Date.now() - this.lastRebalance >= (this.options.rebalanceIntervalMs ?? 2000)) await this.rebalance();
        const sent = await this.drainOnce();
        this.backoffMs = 0;
        if (this.stopping) {
          if (sent === 0) break; // drained: owned lanes are empty
        } else if (sent < this.options.batchSize) {
          // A short batch took everything committed before its claim; idle() returns at once if
          // a commit was notified since, so no empty claim is spent checking.
          await this.idle(this.options.pollIntervalMs);
        }
      } catch (err) {
        if (this.stopping) break;
        this.stats.failures++;
        this.stats.lastError = describeError(err);
        this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), 5000);
        this.log.warn(`outbox relay: ${this.stats.lastError}; retrying in ${this.backoffMs} ms`);
        if (isKafkaError(err))
          await this.resetPublisher(); // producer state (epoch, sequence) starts afresh
        else if (isTransientError(err)) await this.closeConnections();
        await this.idle(this.backoffMs);
      }
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.wokenSinceClaim()) return;
    if (this.txOpen && ms > FINISH_LINGER_MS) {
      // the open transaction ends with the next claim if one comes soon; a quiet relay ends it on its own, so
      // that it holds neither published rows (counted as backlog) nor its lock on the outbox (which a
      // migration's ALTER waits for, and every insert behind that) for a whole poll interval
      if (await this.sleep(FINISH_LINGER_MS)) return;
      await this.finishTransaction();
      if (this.wokenSinceClaim()) return;
      ms -= FINISH_LINGER_MS;
    }
    await this.sleep(ms);
  }

  /** Whether a commit was told of that the last claim may not have seen (and forgets the wakes told so far). */
  private wokenSinceClaim(): boolean {
    // a commit told of during the last claim may have been visible to it: then it needs no new claim
    const snapshot = this.lastSnapshot;
    const uncovered = this.pendingXids.some((xid) => !snapshot || !committedBefore(xid, snapshot));
    const woken = this.pendingWake || uncovered;
    this.pendingWake = false;
    this.pendingXids = [];
    return woken || this.stopping;
  }

  /** Waits `ms` or until woken; returns whether it was woken. */
  private async sleep(ms: number): Promise<boolean> {
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const done = (byWake: boolean) => {
        clearTimeout(timer);
        resolve(byWake);
      };
      this.wakeUp = () => done(true);
    });
    this.wakeUp = null;
    this.pendingWake = false;
    this.pendingXids = [];
    return woken;
  }

  private async connect(): Promise<void> {
    const db = new Client({ connectionString: this.options.databaseUrl, application_name: 'outbox-relay' });
    db.on('error', () => {}); // surfaced by the next query
    const listener = new Client({ connectionString: this.options.databaseUrl, application_name: 'outbox-relay-listen' });
    listener.on('error', () => {});
    // the trigger's payload is the committed transaction's id (empty from a trigger older than that)
    listener.on('notification', (n) => this.wake(parseXid(n.payload)));
    try {
      await this.open(db, listener);
    } catch (err) {
      // a half-open session would keep its membership slot and skew every instance's fair share
      await Promise.all([db.end().catch(() => {}), listener.end().catch(() => {})]);
      throw err;
    }
    this.db = db;
    this.listener = listener;
    this.txOpen = false;
    this.published = [];
    this.owned.clear();
    this.lastRebalance = 0;
    this.lastSnapshot = null; // a new session may reach another server (a failover, a restore)
  }

  private async open(db: Client, listener: Client): Promise<void> {
    await db.connect();
    // This session only ever claims the oldest rows: walk the pending index in id order and stop
    // at the batch size. Without this, a freshly filled (not yet analysed) outbox gets a bitmap
    // scan and a sort of the whole backlog for every batch.
    await db.query('SET enable_bitmapscan = off; SET enable_seqscan = off; SET enable_sort = off');
    // The relay's commits only delete rows Kafka already has: losing one in a crash means a
    // re-publish (consumers deduplicate), never a lost event. So it need not wait for fsync.
    await db.query('SET synchronous_commit = off');
    // Its transaction stays open between claims, for up to the poll interval: a server-wide idle timeout must
    // not end the session for that (it would cost a reconnect and a re-published batch each time).
    await db.query('SET idle_in_transaction_session_timeout = 0');
    // take a membership slot: other instances count the taken slots to size their fair share
    const slot = await db.query(`SELECT s FROM generate_series(0, $2::int - 1) s WHERE pg_try_advisory_lock($1, s) LIMIT 1`, [LockClass.Member, MEMBER_SLOTS]);
    if (slot.rows.length === 0) throw new Error(`more than ${MEMBER_SLOTS} relay instances on one outbox`);
    await listener.connect();
    await listener.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
  }

  private async freshPublisher(): Promise<void> {
    await this.resetPublisher();
    await this.publisher.connect();
    this.publisherConnected = true;
  }

  private async resetPublisher(): Promise<void> {
    if (this.publisherConnected) await this.publisher.disconnect().catch(() => {});
    this.publisherConnected = false;
  }

  private async closeConnections(): Promise<void> {
    const clients = [this.db, this.listener];
    this.txOpen = false;
    this.published = [];
    this.db = null;
    this.listener = null;
    this.owned.clear();
    this.stats.ownedLanes = 0;
    this.stats.members = null;
    await Promise.all(clients.map((c) => c?.end().catch(() => {})));
  }

  /** Takes free lanes up to a fair share, or gives back lanes above it. */
  private async rebalance(): Promise<void> {
    const db = this.db!;
    this.lastRebalance = Date.now();
    // rows of a lane this instance is about to give away are not left locked behind it
    await this.finishTransaction();
    // A slot is taken when another session holds it (try-lock fails). Our own slot re-locks and
    // unlocks (advisory locks are re-entrant), so it is not counted: add one for ourselves.
    // (Reading pg_locks instead would take every lock-manager partition lock and stall the database.)
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE NOT (pg_try_advisory_lock($1, s) AND pg_advisory_unlock($1, s)))::int AS others
         FROM generate_series(0, $2::int - 1) s`,
      [LockClass.Member, MEMBER_SLOTS],
    );
    const members = rows[0].others + 1;
    this.stats.members = members;
    const fairShare = Math.ceil(this.options.lanes / members);
    for (const lane of [...this.owned]) {
      if (this.owned.size <= fairShare) break;
      await db.query('SELECT pg_advisory_unlock($1, $2)', [LockClass.Lane, lane]);
      this.owned.delete(lane);
    }
    const start = Math.floor(Math.random() * this.options.lanes);
    for (let i = 0; i < this.options.lanes && this.owned.size < fairShare; i++) {
      const lane = (start + i) % this.options.lanes;
      if (this.owned.has(lane)) continue;
      const res = await db.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LockClass.Lane, lane]);
      if (res.rows[0].ok) this.owned.add(lane);
    }
    this.stats.ownedLanes = this.owned.size;
    // Lanes change hands only here, so a lane's new owner learns here of quarantined rows;
    // rows this instance quarantines itself set the flag at once.
    const q = await db.query('SELECT EXISTS (SELECT 1 FROM outbox WHERE quarantined_at IS NOT NULL) AS any');
    this.anyQuarantined = q.rows[0].any;
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
  private async drainOnce(): Promise<number> {
    const db = this.db;
    if (!db || this.owned.size === 0) return 0;
    // a commit told of from here on is checked against the snapshot read below (see idle())
    this.pendingWake = false;
    this.pendingXids = [];
    const lanes = [...this.owned].map((l) => integer(l)).join(',');
    // lane = key_hash % lanes; a key with a quarantined row is held back so its order holds
    // (that check is skipped while no row is quarantined, the usual case)
    const claim = `SELECT id, topic, message_key AS key, payload, headers FROM outbox o
          WHERE (key_hash % ${integer(this.options.lanes)})::int = ANY('{${lanes}}'::int[]) AND quarantined_at IS NULL
            ${this.anyQuarantined ? 'AND NOT EXISTS (SELECT 1 FROM outbox q WHERE q.message_key = o.message_key AND q.quarantined_at IS NOT NULL)' : ''}
          ORDER BY id LIMIT ${integer(this.options.batchSize)} FOR UPDATE SKIP LOCKED`;
    const finish = this.finishSql();
    try {
      // the snapshot is read before the claim, so every commit it holds is visible to the claim too
      const results = (await db.query(`${finish.sql}BEGIN; SELECT pg_current_snapshot()::text AS snapshot; ${claim}`)) as unknown as QueryResult[];
      // the previous batch's delete is committed (a failure from here on leaves it committed)
      this.published = [];
      this.txOpen = true;
      this.lastSnapshot = parseSnapshot(results[finish.statements + 1].rows[0].snapshot);
      const rows = results[finish.statements + 2].rows as OutboxRow[];
      if (rows.length === 0) {
        this.stats.emptyClaims++;
        return 0; // the empty transaction ends with the next claim
      }
      try {
        await this.publisher.publish(rows);
      } catch (err) {
        if (!isPermanentPublishError(err)) throw err;
        await this.rollback();
        await this.freshPublisher();
        // a full claim may have left rows behind although not all of it was sent: claim again, and
        // do not drop wakes on the strength of this claim's snapshot
        this.lastSnapshot = null;
        if (rows.length === this.options.batchSize) this.pendingWake = true;
        return await this.isolatePoison(rows);
      }
      this.published = rows.map((r) => integer(r.id));
      this.stats.published += rows.length;
      this.stats.batches++;
      this.stats.lastPublishedAt = new Date();
      return rows.length;
    } catch (err) {
      // (also after a failed claim: the transaction may be open and aborted; rows Kafka has that were not
      // deleted go out again, which consumers deduplicate)
      await this.rollback();
      throw err;
    }
  }

  /** The statements that end the open transaction: the delete of the published rows (if any), and COMMIT. */
  private finishSql(): { sql: string; statements: number } {
    if (this.published.length > 0) return { sql: `DELETE FROM outbox WHERE id = ANY('{${this.published.join(',')}}'::bigint[]); COMMIT; `, statements: 2 };
    return this.txOpen ? { sql: 'COMMIT; ', statements: 1 } : { sql: '', statements: 0 };
  }

  /** Ends the open transaction on its own round trip (before a rebalance, at stop). */
  private async finishTransaction(): Promise<void> {
    const { sql } = this.finishSql();
    if (!sql || !this.db) return;
    await this.db.query(sql);
    this.published = [];
    this.txOpen = false;
  }

  private async rollback(): Promise<void> {
    this.published = [];
    this.txOpen = false;
    await this.db?.query('ROLLBACK').catch(() => {});
  }

  /**
   * A batch was refused for good: send its rows one at a time, in order, so the row(s) the broker
   * refuses are quarantined with their error and every other key still goes out. Later rows of a
   * quarantined row's key stay in the outbox (held back, in order) until an operator deals with it.
   */
  private async isolatePoison(rows: OutboxRow[]): Promise<number> {
    const db = this.db!;
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
        await this.freshPublisher(); // a refused send leaves the idempotent producer's sequence behind
        this.stats.quarantined++;
        this.log.error(`outbox relay: quarantined outbox row ${row.id} (${row.topic}, key ${row.key}): ${reason}`);
      }
    }
    this.stats.published += sent;
    return sent + 1;
  }
}

function isKafkaError(err: unknown): boolean {
  return /^KafkaJS/.test((err as Error)?.name ?? '');
}

/** A value about to be inlined into SQL: it must be a plain non-negative integer. */
function integer(value: number | string): string {
  const text = String(value);
  if (!/^\d{1,19}$/.test(text)) throw new Error(`refusing to inline ${JSON.stringify(text)} into SQL`);
  return text;
}
