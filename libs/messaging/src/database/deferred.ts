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
 * Set by the pipelining client on the (empty) rows it answers a deferred write with at once: a function
 * answering the rows the write really returned, which sends the write first if it is still held.
 */
export const SETTLED_ROWS = Symbol('settledRows');

/**
 * The rows a deferred write really returned, once it ran, or the rows themselves where the client ran
 * it at once. Asking for them sends the write (and what was held before it) if nothing has yet.
 */
export function settledRows<T = Record<string, unknown>>(rows: unknown): Promise<T[]> {
  const later = (rows as { [SETTLED_ROWS]?: () => Promise<T[]> } | null)?.[SETTLED_ROWS];
  return later ? later() : Promise.resolve(Array.isArray(rows) ? (rows as T[]) : []);
}
