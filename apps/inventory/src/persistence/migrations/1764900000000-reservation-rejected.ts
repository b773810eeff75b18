import { MigrationInterface, QueryRunner } from 'typeorm';

/** A rejected order gets a reservation row of nothing, REJECTED, so a re-sent OrderPlaced cannot reserve it later. */
export class ReservationRejected1764900000000 implements MigrationInterface {
  name = 'ReservationRejected1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reservations DROP CONSTRAINT reservations_status_check,
      ADD CONSTRAINT reservations_status_check CHECK (status IN ('RESERVED','RELEASED','SHIPPED','REJECTED'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM reservations WHERE status = 'REJECTED'`);
    await q.query(`ALTER TABLE reservations DROP CONSTRAINT reservations_status_check,
      ADD CONSTRAINT reservations_status_check CHECK (status IN ('RESERVED','RELEASED','SHIPPED'))`);
  }
}
