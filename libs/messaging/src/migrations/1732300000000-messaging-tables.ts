import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_NOTIFY_CHANNEL } from '../outbox/outbox.sql';

/** The outbox (events waiting for the relay) and the inbox (events a consumer has applied). */
export class MessagingTables1732300000000 implements MigrationInterface {
  name = 'MessagingTables1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id             bigserial PRIMARY KEY,
        event_id       uuid NOT NULL UNIQUE,
        topic          text NOT NULL,
        message_key    text NOT NULL,
        key_hash       bigint NOT NULL,
        payload        text NOT NULL,
        headers        jsonb NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        attempts       integer NOT NULL DEFAULT 0,
        last_error     text,
        quarantined_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending ON outbox (id) WHERE quarantined_at IS NULL`);
    // keys with a quarantined row are held back (order per key), found through this small index
    await q.query(`CREATE INDEX outbox_quarantined_key ON outbox (message_key) WHERE quarantined_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE inbox (
        consumer     text NOT NULL,
        event_id     uuid NOT NULL,
        event_type   text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    // NOTIFY is delivered at commit, so the relay wakes exactly when new rows become visible.
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS inbox`);
    await q.query(`DROP TABLE IF EXISTS outbox`);
    await q.query(`DROP FUNCTION IF EXISTS outbox_notify()`);
  }
}
