/**
 * Marks a write inside a transaction whose result the caller does not need. A database client that
 * pipelines transactions (the services' `DatabaseClient`) does not wait for it: it sends it together
 * with the next statement that needs an answer, or with the COMMIT, in one round trip. Any other
 * client just runs it (the mark is an SQL comment). Its error then surfaces at that next statement or
 * at the COMMIT, which fails and leaves nothing of the transaction.
 */
export const DEFERRED_MARK = '/* deferred */';

export function deferred(sql: string): string {
  return `${DEFERRED_MARK} ${sql}`;
}

/**
 * Set by the pipelining client on the (empty) rows it answers a deferred write with at once: the rows
 * the write really returned, once it ran, and a way to send it now if it is still held.
 */
export const SETTLED_ROWS = Symbol('settledRows');

export interface SettledRows {
  rows: Promise<unknown[]>;
  /** Sends the write (and what was held before it) now, if it has not gone out yet. */
  sendNow(): void;
}

/**
 * The rows a deferred write really returned, once it ran, or the rows themselves where the client ran
 * it at once. By default this only waits: the write goes out with the transaction's next statement or
 * its COMMIT. With `sendNow`, a write still held is sent at once (use it only when the answer is needed
 * before anything else would be sent, or it would wait for ever).
 */
export function settledRows<T = Record<string, unknown>>(rows: unknown, { sendNow = false } = {}): Promise<T[]> {
  const later = (rows as { [SETTLED_ROWS]?: SettledRows } | null)?.[SETTLED_ROWS];
  if (!later) return Promise.resolve(Array.isArray(rows) ? (rows as T[]) : []);
  if (sendNow) later.sendNow();
  return later.rows as Promise<T[]>;
}
