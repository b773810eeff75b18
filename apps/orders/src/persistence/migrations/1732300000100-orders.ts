import { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1732300000100 implements MigrationInterface {
  name = 'Orders1732300000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id               uuid PRIMARY KEY,
        customer_id      text NOT NULL,
        status           text NOT NULL CHECK (status IN ('PENDING','RESERVED','CONFIRMED','REJECTED','FAILED','CANCELLED')),
        lines            jsonb NOT NULL,
        shipping_address jsonb NOT NULL,
        total_cents      bigint,
        currency         text,
        shipment         jsonb,
        status_reason    text,
        correlation_id   text NOT NULL,
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX orders_customer_created ON orders (customer_id, created_at, id)`);
    await q.query(`CREATE INDEX orders_status_created ON orders (status, created_at, id)`);
    await q.query(`CREATE INDEX orders_created ON orders (created_at, id)`);
    await q.query(`
      CREATE TABLE order_timeline (
        id          bigserial PRIMARY KEY,
        order_id    uuid NOT NULL REFERENCES orders (id),
        event_id    uuid NOT NULL,
        type        text NOT NULL,
        status      text NOT NULL,
        occurred_at timestamptz NOT NULL,
        detail      jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_timeline_order ON order_timeline (order_id, id)`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        key             text PRIMARY KEY,
        request_hash    text NOT NULL,
        order_id        uuid NOT NULL,
        response_status int NOT NULL,
        response_body   jsonb NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE order_timeline`);
    await q.query(`DROP TABLE orders`);
  }
}
