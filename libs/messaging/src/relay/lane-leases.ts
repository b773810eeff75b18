import { Client } from 'pg';
import { LockClass } from '../outbox/outbox.sql';
import { RelayStats } from './relay-stats';

/** Most relay instances that can share one outbox (one membership lock slot each). */
const MEMBER_SLOTS = 64;

/**
 * Which lanes of the outbox this relay owns, and how many relays share it. Keys hash into lanes; each lane
 * is owned by one relay at a time through a session advisory lock on the relay's database session, and
 * relays count each other through a membership lock (one slot each) to take a fair share of the lanes, so
 * order per key holds without a leader. The locks go with the session: when it ends, no lane is owned.
 */
export class LaneLeases {
  private readonly held = new Set<number>();
  /** The lanes this relay holds the locks of: the lanes its claims read. */
  readonly owned: ReadonlySet<number> = this.held;
  private lastRebalance = 0;

  constructor(
    private readonly lanes: number,
    private readonly rebalanceIntervalMs: number,
    private readonly stats: Pick<RelayStats, 'ownedLanes' | 'members'>,
  ) {}

  /** Takes a membership slot for a new session: other instances count the taken slots to size their fair share. */
  async join(db: Client): Promise<void> {
    const slot = await db.query(`SELECT s FROM generate_series(0, $2::int - 1) s WHERE pg_try_advisory_lock($1, s) LIMIT 1`, [LockClass.Member, MEMBER_SLOTS]);
    if (slot.rows.length === 0) throw new Error(`more than ${MEMBER_SLOTS} relay instances on one outbox`);
  }

  /**
   * Whether a rebalance is due (every `rebalanceIntervalMs`, and at once on a new session). A true answer
   * starts the next interval: a rebalance that fails is not tried again before it is up.
   */
  rebalanceDue(): boolean {
    const now = Date.now();
    if (now - this.lastRebalance < this.rebalanceIntervalMs) return false;
    this.lastRebalance = now;
    return true;
  }

  /** Takes free lanes up to a fair share, or gives back lanes above it (the caller ends its transaction first). */
  async rebalance(db: Client): Promise<void> {
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
    const fairShare = Math.ceil(this.lanes / members);
    for (const lane of [...this.held]) {
      if (this.held.size <= fairShare) break;
      await db.query('SELECT pg_advisory_unlock($1, $2)', [LockClass.Lane, lane]);
      this.held.delete(lane);
    }
    const start = Math.floor(Math.random() * this.lanes);
    for (let i = 0; i < this.lanes && this.held.size < fairShare; i++) {
      const lane = (start + i) % this.lanes;
      if (this.held.has(lane)) continue;
      const res = await db.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LockClass.Lane, lane]);
      if (res.rows[0].ok) this.held.add(lane);
    }
    this.stats.ownedLanes = this.held.size;
  }

  /**
   * Whether this is the only relay over its outbox and owns every lane, as of the last rebalance (lanes change
   * hands only there, where the count is taken too).
   */
  alone(): boolean {
    return this.stats.members === 1 && this.held.size === this.lanes;
  }

  /** The session that held the locks is gone, or a new one begins: no lane is owned, and the next loop rebalances at once. */
  reset(): void {
    this.held.clear();
    this.lastRebalance = 0;
    this.stats.ownedLanes = 0;
    this.stats.members = null;
  }
}
