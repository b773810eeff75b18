import { MigrationInterface, QueryRunner } from 'typeorm';

/** The shipment a reservation's units left with: a ShipmentCancelled of another shipment returns nothing. */
export class ReservationShipment1764900000100 implements MigrationInterface {
  name = 'ReservationShipment1764900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reservations ADD COLUMN shipment_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reservations DROP COLUMN shipment_id`);
  }
}
