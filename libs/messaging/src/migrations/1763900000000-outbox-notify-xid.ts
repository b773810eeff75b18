import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_NOTIFY_CHANNEL } from '../outbox/outbox.sql';

/**
 * The outbox trigger's NOTIFY names the committed transaction (its xid8), so a relay can tell a
 * commit its last claim already saw from a new one. Notifications with the same payload in one
 * transaction are still folded into one by PostgreSQL.
 */
export class OutboxNotifyXid1763900000000 implements MigrationInterface {
  name = 'OutboxNotifyXid1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', pg_current_xact_id()::text);
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', '');
        RETURN NULL;
      END $$`);
  }
}
