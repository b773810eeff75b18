const TRANSIENT_CODES = new Set([
  '25P03',
  '25006',
  '40001',
  '40P01',
  '55P03',
  '57014',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * The database's failures that go away by waiting: PostgreSQL or the network to it is down or busy, a
 * lock or serialisation conflict (by SQLSTATE, by the socket's error code, or by the message pg and
 * pg-pool give a lost or refused connection). TypeORM's wrapper is looked through (`driverError`).
 */
export function isTransientDatabaseError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; driverError?: unknown } | undefined;
  if (!e) return false;
  if (e.driverError && isTransientDatabaseError(e.driverError)) return true;
  const code = e.code ?? '';
  if (/^(08|53|57P0|58)/.test(code)) return true; // connection, resources, shutdown, system
  // 25P03: the server ended a session left idle in its transaction (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS);
  // 25006: a write refused because the server takes no writes for now (a failover under way, a standby
  // not yet promoted, default_transaction_read_only set for maintenance): dead-lettering a valid event
  // for it would strand its order, and a client is better told to retry (503) than that it failed (500)
  if (TRANSIENT_CODES.has(code)) return true;
  return /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable|Connection refused|server closed the connection/i.test(
    e.message ?? '',
  );
}
