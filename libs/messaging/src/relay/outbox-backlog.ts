export interface OutboxBacklog {
  /** Rows waiting to be published (not counting those held behind a quarantined row of their key). */
  pending: number;
  oldestAgeMs: number;
  quarantined: number;
  heldBehindQuarantine: number;
}

/** Backlog figures for health and metrics, read from the outbox table itself. */
export async function readOutboxBacklog(query: (sql: string) => Promise<any[]>): Promise<OutboxBacklog> {
  const [row] = await query(
    `WITH q AS (SELECT DISTINCT message_key FROM outbox WHERE quarantined_at IS NOT NULL)
       SELECT count(*) FILTER (WHERE o.quarantined_at IS NULL AND q.message_key IS NULL)::int AS pending,
              coalesce(extract(epoch FROM clock_timestamp() - min(o.created_at) FILTER (WHERE o.quarantined_at IS NULL AND q.message_key IS NULL)) * 1000, 0)::float8 AS age,
              count(*) FILTER (WHERE o.quarantined_at IS NOT NULL)::int AS quarantined,
              count(*) FILTER (WHERE o.quarantined_at IS NULL AND q.message_key IS NOT NULL)::int AS held
         FROM outbox o LEFT JOIN q ON q.message_key = o.message_key`,
  );
  return { pending: row.pending, oldestAgeMs: Math.round(row.age), quarantined: row.quarantined, heldBehindQuarantine: row.held };
}
