/** A span in which the saga could not move orders along (ms since the epoch; `from` may be -Infinity). */
export interface Stall {
  from: number;
  to: number;
}

/**
 * The latest placing time (exclusive) of an order that is overdue at `now`. An order is overdue once it
 * has been open for `deadlineMs` of time in which the saga could run: the stalls (in order, not
 * overlapping) do not count. Null while no order can be overdue yet (a stall from -Infinity, such as
 * "before this process started", is still within the deadline).
 */
export function overdueCutoff(now: number, deadlineMs: number, stalls: readonly Stall[]): number | null {
  let remaining = deadlineMs;
  let cursor = now;
  for (let i = stalls.length - 1; i >= 0; i--) {
    const { from, to } = stalls[i];
    if (from >= cursor) continue;
    const running = cursor - Math.min(to, cursor);
    if (running >= remaining) return cursor - remaining;
    remaining -= running;
    cursor = from;
    if (cursor === -Infinity) return null;
  }
  return cursor - remaining;
}

/** Stalls kept at most (one per outage): the oldest go first, long past any deadline by then. */
export const MAX_STALLS = 1000;

/** Adds a stall to a list (in order): one that meets or overlaps the last one extends it. */
export function addStall(stalls: Stall[], stall: Stall): void {
  if (stall.to <= stall.from) return;
  const last = stalls[stalls.length - 1];
  if (last && stall.from <= last.to) last.to = Math.max(last.to, stall.to);
  else stalls.push({ ...stall });
  if (stalls.length > MAX_STALLS) stalls.splice(0, stalls.length - MAX_STALLS);
}
