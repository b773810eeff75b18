import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context (traceparent, tracestate) each outbox row was written in, which the relay continues
 * (docs/architecture.md, tracing). Null for rows written with tracing off. Nullable columns without a default:
 * PostgreSQL adds them without rewriting the table.
 */
export class OutboxTraceContext1765000000000 implements MigrationInterface {
  name = 'OutboxTraceContext1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_parent text, ADD COLUMN IF NOT EXISTS trace_state text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS trace_parent, DROP COLUMN IF EXISTS trace_state`);
  }
}
