import { MigrationInterface, QueryRunner } from 'typeorm';

export class Inventory1732300000200 implements MigrationInterface {
  name = 'Inventory1732300000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        sku         text PRIMARY KEY,
        name        text NOT NULL,
        price_cents int NOT NULL CHECK (price_cents >= 0),
        currency    text NOT NULL,
        available   int NOT NULL CHECK (available >= 0),
        reserved    int NOT NULL CHECK (reserved >= 0),
        shipped     int NOT NULL CHECK (shipped >= 0),
        received    int NOT NULL,
        updated_at  timestamptz NOT NULL,
        CONSTRAINT stock_conserved CHECK (received = available + reserved + shipped)
      )`);
    await q.query(`
      CREATE TABLE reservations (
        order_id    uuid PRIMARY KEY,
        status      text NOT NULL CHECK (status IN ('RESERVED','RELEASED','SHIPPED')),
        lines       jsonb NOT NULL,
        total_cents bigint NOT NULL,
        created_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reservations`);
    await q.query(`DROP TABLE products`);
  }
}
