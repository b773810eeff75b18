import { Client } from 'pg';
import { OUTBOX_NOTIFY_CHANNEL } from '../outbox/outbox.sql';
import { describeError } from './errors';
import { isTransientError } from '../errors';
import { LaneLeases } from './lane-leases';
import { OutboxBacklog, readOutboxBacklog } from './outbox-backlog';
import { OutboxDrain } from './outbox-drain';
import type { RelayMetrics } from '../metrics/messaging-metrics';
import { RelayPublisher, UnacknowledgedPartitionsError } from './publisher';
import { newRelayStats, RelayStats } from './relay-stats';
import { parseXid } from './snapshot';
import { WakeGate } from './wake-gate';

export interface RelayOptions {
  databaseUrl: string;
  lanes: number;
  batchSize: number;
  pollIntervalMs: number;
  /** How often lane ownership is re-balanced between running instances. */
  rebalanceIntervalMs?: number;
  logger?: Pick<Console, 'log' | 'warn' | 'error'>;
}

/**
 * How long a published batch's delete (and its transaction) waits for the next claim to carry it, before it
 * goes on its own round trip: under a steady load the next claim comes sooner, and a quiet relay holds no
 * transaction open.
 */
const FINISH_LINGER_MS = 100;

/**
 * Publishes committed outbox rows to Kafka, then deletes them. Any number of instances may run over one
 * outbox: keys hash into lanes, each owned by one instance at a time (LaneLeases), so order per key holds
 * without a leader. Rows are claimed, published and deleted in batches (OutboxDrain); the loop sleeps
 * between short batches until a commit wakes it or the poll interval is up (WakeGate). This class holds the
 * loop, its start and stop, and the connections: the database session, its listener, the Kafka producer.
 */
export class OutboxRelay {
  private db: Client | null = null;
  private listener: Client | null = null;
  private running = false;
  private stopping = false;
  private drainDeadline = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private backoffMs = 0;
  private publisherConnected = false;
  readonly stats: RelayStats = newRelayStats();
  private readonly log: Pick<Console, 'log' | 'warn' | 'error'>;
  private readonly gate = new WakeGate();
  private readonly leases: LaneLeases;
  private readonly drain: OutboxDrain;
  private metrics: RelayMetrics | null = null;

  constructor(
    private readonly options: RelayOptions,
    private readonly publisher: RelayPublisher,
  ) {
    this.log = options.logger ?? console;
    this.leases = new LaneLeases(options.lanes, options.rebalanceIntervalMs ?? 2000, this.stats);
    this.drain = new OutboxDrain(options, publisher, () => this.freshPublisher(), this.gate, this.stats, this.log);
  }

  /** Counts into these metrics from now on (published events, failures, batch sizes, commit-to-publish latency). */
  instrument(metrics: RelayMetrics): void {
    this.metrics = metrics;
    this.drain.instrument(metrics);
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
    await this.drain.finishTransaction(this.db).catch(() => {}); // not deleted: re-published by the next relay (consumers deduplicate)
    await this.closeConnections();
    if (this.publisherConnected) await this.publisher.disconnect().catch(() => {});
    this.publisherConnected = false;
  }

  /**
   * Makes the loop look for rows now (the service's own commits do this in-process; a commit's NOTIFY,
   * sent while other relays run over the outbox, does it for every relay). With the committed
   * transaction's id, a wake for rows that a claim begun after that commit already saw is dropped (WakeGate).
   */
  wake(xid: bigint | null = null): void {
    this.gate.wake(xid);
  }

  /**
   * Whether this is the only relay over its outbox and owns every lane (as of its last rebalance, at
   * most `rebalanceIntervalMs` ago): then commits of its own process, which wake it directly, need no
   * NOTIFY. Not known (not connected yet, or lost its session): false.
   */
  alone(): boolean {
    return this.running && this.db !== null && this.leases.alone();
  }

  /** Backlog figures for health and metrics, read from the outbox table itself. */
  static backlog(query: (sql: string) => Promise<any[]>): Promise<OutboxBacklog> {
    return readOutboxBacklog(query);
  }

  private async loop(): Promise<void> {
    while (!(this.stopping && Date.now() >= this.drainDeadline)) {
      try {
        if (!this.publisherConnected) {
          await this.publisher.connect();
          this.publisherConnected = true;
        }
        const db = this.db ?? (await this.connect());
        if (this.leases.rebalanceDue()) await this.rebalance(db);
        const sent = await this.drain.publishBatch(db, this.leases.owned);
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
        this.metrics?.failures.inc();
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
    if (this.drain.transactionOpen && ms > FINISH_LINGER_MS) {
      // the open transaction ends with the next claim if one comes soon; a quiet relay ends it on its own, so
      // that it holds neither published rows (counted as backlog) nor its lock on the outbox (which a
      // migration's ALTER waits for, and every insert behind that) for a whole poll interval
      if (await this.gate.sleep(FINISH_LINGER_MS)) return;
      await this.drain.finishTransaction(this.db);
      if (this.wokenSinceClaim()) return;
      ms -= FINISH_LINGER_MS;
    }
    await this.gate.sleep(ms);
  }

  /** Whether a commit was told of that the last claim may not have seen, or the relay is stopping. */
  private wokenSinceClaim(): boolean {
    return this.gate.wokenSinceClaim() || this.stopping;
  }

  /** Lanes change hands: rows of a lane about to be given away are not left locked behind it. */
  private async rebalance(db: Client): Promise<void> {
    await this.drain.finishTransaction(db);
    await this.leases.rebalance(db);
    // lanes change hands only here, so a lane's new owner learns here of quarantined rows; rows this
    // instance quarantines itself set the flag at once
    await this.drain.readQuarantine(db);
  }

  private async connect(): Promise<Client> {
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
    this.drain.reset();
    this.leases.reset();
    this.gate.forgetSnapshot(); // a new session may reach another server (a failover, a restore)
    return db;
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
    await this.leases.join(db);
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
    this.drain.reset();
    this.db = null;
    this.listener = null;
    this.leases.reset();
    await Promise.all(clients.map((c) => c?.end().catch(() => {})));
  }
}

/** An error of the Kafka client, or a send it left incomplete: the producer starts afresh after either. */
function isKafkaError(err: unknown): boolean {
  return /^KafkaJS/.test((err as Error)?.name ?? '') || err instanceof UnacknowledgedPartitionsError;
}
