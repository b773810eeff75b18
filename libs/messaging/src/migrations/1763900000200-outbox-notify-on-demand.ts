import { MigrationInterface, QueryRunner } from 'typeorm';
import { OutboxNotifyXid1763900000000 } from './1763900000000-outbox-notify-xid';

/**
 * The outbox no longer NOTIFYs from a trigger on every insert: PostgreSQL serialises the commits of
 * notifying transactions (cluster-wide, through their WAL flush), and a service's own relay is woken
 * in-process anyway. The Outbox now sends the NOTIFY itself, in the same transaction, only while
 * other relays run over the outbox (see OutboxWakePolicy). Rows written by anything else are found by
 * the relays' poll (OUTBOX_POLL_INTERVAL_MS).
 */
export class OutboxNotifyOnDemand1763900000200 implements MigrationInterface {
  name = 'OutboxNotifyOnDemand1763900000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION IF EXISTS outbox_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await new OutboxNotifyXid1763900000000().up(q); // the trigger function as that migration left it
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }
}
