import { MigrationInterface, QueryRunner } from 'typeorm';

export class Shipping1732300000300 implements MigrationInterface {
  name = 'Shipping1732300000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE shipment_requests (
        order_id  uuid PRIMARY KEY,
        country   text,
        reserved  boolean NOT NULL DEFAULT false,
        cancelled boolean NOT NULL DEFAULT false
      )`);
    await q.query(`
      CREATE TABLE shipments (
        id                 uuid PRIMARY KEY,
        order_id           uuid NOT NULL UNIQUE,
        status             text NOT NULL CHECK (status IN ('SCHEDULED','FAILED','CANCELLED')),
        carrier            text NOT NULL,
        country            text NOT NULL,
        estimated_delivery timestamptz,
        failure_reason     text,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shipments`);
    await q.query(`DROP TABLE shipment_requests`);
  }
}
