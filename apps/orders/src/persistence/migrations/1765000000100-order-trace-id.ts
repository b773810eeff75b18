import { MigrationInterface, QueryRunner } from 'typeorm';

/** The trace an order was placed in (tracing on), so that every later view of the order can link to it. */
export class OrderTraceId1765000000100 implements MigrationInterface {
  name = 'OrderTraceId1765000000100';

  async up(q: QueryRunner): Promise<void> {
    // nullable and without a default: PostgreSQL adds it without rewriting the table
    await q.query(`ALTER TABLE orders ADD COLUMN trace_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP COLUMN trace_id`);
  }
}
