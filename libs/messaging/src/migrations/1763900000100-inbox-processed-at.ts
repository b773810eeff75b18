import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lets the inbox pruner find rows past the retention without reading the whole table. */
export class InboxProcessedAt1763900000100 implements MigrationInterface {
  name = 'InboxProcessedAt1763900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS inbox_processed_at ON inbox (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS inbox_processed_at`);
  }
}
