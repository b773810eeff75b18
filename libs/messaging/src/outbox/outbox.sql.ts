/** Channel the outbox trigger notifies on commit. */
export const OUTBOX_NOTIFY_CHANNEL = 'outbox_committed';

/** Advisory lock class ids (first key of the two-int form), so our locks never collide with others'. */
export const LockClass = {
  /** Held per transaction on hash(key) while enqueueing: same-key commits get ascending ids. */
  Key: 0x6f62_0001,
  /** Held per relay instance on a lane: the owner is the only one publishing that lane. */
  Lane: 0x6f62_0002,
  /** Held by every running relay instance on one of a fixed set of slots: counts the instances. */
  Member: 0x6f62_0003,
} as const;

/** 32-bit FNV-1a: a stable hash of the message key, the same in every process and version. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The same hash as a signed int4, for advisory lock keys. */
export function keyLockId(key: string): number {
  return fnv1a(key) | 0;
}

/**
 * Inserts a transaction's events ($1-$6: event ids, topics, keys, key hashes, payloads, headers)
 * after taking the transaction-scoped advisory locks of their keys ($7: lock class, $8: sorted
 * lock ids, $9: their count). The uncorrelated sub-select runs once, as a one-time filter,
 * before the first row and so before the first id is drawn: one round trip for both. It returns
 * the transaction's id, with which the service's relay tells this commit apart from others.
 * `traced`: each row also stores the W3C trace context it was enqueued in ($10: traceparents, $11:
 * tracestates, either null per row), which the relay continues.
 */
function enqueueSql(traced: boolean): string {
  const [columns, values] = traced ? [', trace_parent, trace_state', ', $10::text[], $11::text[]'] : ['', ''];
  return `INSERT INTO outbox (event_id, topic, message_key, key_hash, payload, headers${columns})
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::jsonb[]${values})
   WHERE (SELECT count(pg_advisory_xact_lock($7::int, k)) FROM unnest($8::int[]) AS k) = $9
  RETURNING pg_current_xact_id()::text AS xid`;
}

export const ENQUEUE_SQL = enqueueSql(false);

/** ENQUEUE_SQL with tracing on; a statement of its own, so that with tracing off nothing more is sent or stored. */
export const ENQUEUE_TRACED_SQL = enqueueSql(true);

/**
 * Wakes the relays of other processes at this transaction's commit, naming it (see OutboxWakePolicy:
 * only sent when another relay runs over the same outbox).
 */
export const NOTIFY_SQL = `SELECT pg_notify('${OUTBOX_NOTIFY_CHANNEL}', pg_current_xact_id()::text)`;
