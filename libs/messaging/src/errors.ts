import { isTransientDatabaseError } from '@app/database';

/** Kafka's failures that go away by waiting: every error kafkajs raises is one of its own (KafkaJS*). */
export function isTransientKafkaError(err: unknown): boolean {
  const e = err as { name?: string } | undefined;
  return /^KafkaJS/.test(e?.name ?? '');
}

/**
 * Failures that go away by waiting: the database, the broker or the network is down or busy, a lock
 * or serialisation conflict. Work that hit one is retried, never skipped. The database's half is
 * `isTransientDatabaseError` (@app/database), the broker's `isTransientKafkaError`.
 */
export function isTransientError(err: unknown): boolean {
  return isTransientDatabaseError(err) || isTransientKafkaError(err);
}
