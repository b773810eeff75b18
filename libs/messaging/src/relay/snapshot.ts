/**
 * A PostgreSQL MVCC snapshot as `pg_current_snapshot()::text` prints it: `xmin:xmax:xip,xip,...`.
 * The relay reads one just before each claim, so it can tell whether a commit it is told about
 * (by NOTIFY or by its own process) was already visible to that claim, and skip a second, empty one.
 */
export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  inProgress: Set<bigint>;
}

export function parseSnapshot(text: string): Snapshot {
  const match = /^(\d+):(\d+):([\d,]*)$/.exec(text);
  if (!match) throw new Error(`not a PostgreSQL snapshot: ${JSON.stringify(text)}`);
  const inProgress = new Set(match[3] === '' ? [] : match[3].split(',').map((x) => BigInt(x)));
  return { xmin: BigInt(match[1]), xmax: BigInt(match[2]), inProgress };
}

/** A transaction id as the outbox trigger and the enqueue statement report it, or null if it is not one. */
export function parseXid(text: unknown): bigint | null {
  return typeof text === 'string' && /^\d{1,20}$/.test(text) ? BigInt(text) : null;
}

/**
 * Whether the effects of transaction `xid`, known to have committed, were visible to a statement
 * that ran with `snapshot` (the rule of pg_visible_in_snapshot).
 */
export function committedBefore(xid: bigint, snapshot: Snapshot): boolean {
  if (xid < snapshot.xmin) return true;
  if (xid >= snapshot.xmax) return false;
  return !snapshot.inProgress.has(xid);
}
