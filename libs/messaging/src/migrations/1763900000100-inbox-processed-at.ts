import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the inbox pruner find rows past the retention without reading the whole table. Built
 * CONCURRENTLY, outside a transaction: a large inbox keeps taking inserts while it builds.
 */
export class InboxProcessedAt1763900000100 implements MigrationInterface {
  name = 'InboxProcessedAt1763900000100';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    // a build that failed half-way leaves an invalid index, which IF NOT EXISTS would keep
    const invalid = await q.query(
      `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'inbox_processed_at' AND NOT i.indisvalid`,
    );
    if (invalid.length > 0) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS inbox_processed_at`);
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS inbox_processed_at ON inbox (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS inbox_processed_at`);
  }
}
