/**
 * Failures that go away by waiting: the database or network is down or busy, a lock or
 * serialisation conflict. Work that hit one is retried, never skipped.
 */
export function isTransientError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string; driverError?: unknown } | undefined;
  if (!e) return false;
  if (e.driverError && isTransientError(e.driverError)) return true;
  const code = e.code ?? '';
  if (/^(08|53|57P0|58)/.test(code)) return true; // connection, resources, shutdown, system
  // 25P03: the server ended a session left idle in its transaction (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS)
  if (['25P03', '40001', '40P01', '55P03', '57014', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code))
    return true;
  if (/^KafkaJS/.test(e.name ?? '')) return true;
  return /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable|Connection refused|server closed the connection/i.test(
    e.message ?? '',
  );
}
