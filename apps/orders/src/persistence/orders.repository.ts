import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { deferred } from '@app/database';
import { Order, OrderStatus, TimelineEntry } from '../domain/order';
import { IdempotencyKeyEntity, OrderEntity, OrderTimelineEntity } from './order.entity';

/** An Idempotency-Key, the hash of the request sent with it, and the answer that request got. */
export interface IdempotencyClaim {
  key: string;
  requestHash: string;
  orderId: string;
  answer: Record<string, unknown>;
}

export interface OrderQuery {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  after?: { createdAt: Date; id: string };
}

/** Reads and writes orders; `tx` variants run inside the caller's transaction. */
@Injectable()
export class OrdersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The new order and its first timeline entry, in one statement (deferred: it goes out with the COMMIT). */
  async insert(tx: EntityManager, order: Order, timeline: TimelineEntry): Promise<void> {
    await tx.query(deferred(INSERT_ORDER_SQL), insertOrderParams(order, timeline));
  }

  /**
   * Claims an Idempotency-Key for the order placed under it, storing the answer its request gets: null once
   * claimed; when the key was claimed before, the hash and answer of the request that claimed it.
   */
  async claimIdempotencyKey(tx: EntityManager, claim: IdempotencyClaim): Promise<Omit<IdempotencyClaim, 'key' | 'orderId'> | null> {
    const claimed = await tx
      .createQueryBuilder()
      .insert()
      .into(IdempotencyKeyEntity)
      // response_status predates the answer's view: every stored answer is that of an accepted order
      .values({ key: claim.key, requestHash: claim.requestHash, orderId: claim.orderId, responseStatus: 202, responseBody: claim.answer as any })
      .orIgnore()
      .returning(['key'])
      .execute();
    if (claimed.raw.length > 0) return null;
    const first = await tx.findOneByOrFail(IdempotencyKeyEntity, { key: claim.key });
    return { requestHash: first.requestHash, answer: first.responseBody };
  }

  /** Loads the order and locks its row until the transaction ends. */
  async lockById(tx: EntityManager, id: string): Promise<Order | null> {
    const rows: OrderRow[] = await tx.query(`SELECT ${ORDER_SELECT} FROM orders WHERE id = $1 FOR UPDATE`, [id]);
    return rows.length === 0 ? null : toOrder(rows[0]);
  }

  /** Orders still PENDING or RESERVED that were placed before `placedBefore`, oldest first, after the cursor. */
  async findOpenPlacedBefore(placedBefore: Date, limit: number, after?: { createdAt: Date; id: string }): Promise<{ id: string; createdAt: Date }[]> {
    const rows: { id: string; created_at: Date }[] = await this.dataSource.query(
      `SELECT id, created_at FROM orders
        WHERE status IN ('PENDING', 'RESERVED') AND created_at < $1 AND (created_at, id) > ($3, $4)
        ORDER BY created_at, id LIMIT $2`,
      [placedBefore, limit, after?.createdAt ?? new Date(0), after?.id ?? '00000000-0000-0000-0000-000000000000'],
    );
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
  }

  /**
   * Writes the order's new state and (if it moved) its timeline entry, in one statement, deferred:
   * the row is locked (lockById), so it goes out with the next statement or the COMMIT.
   */
  async save(tx: EntityManager, order: Order, timeline: TimelineEntry | null): Promise<void> {
    const update = `UPDATE orders SET customer_id = $2, status = $3, lines = $4, shipping_address = $5, total_cents = $6, currency = $7,
                           shipment = $8, status_reason = $9, correlation_id = $10, created_at = $11, updated_at = $12
                     WHERE id = $1`;
    if (!timeline) {
      await tx.query(deferred(update), orderColumns(order));
      return;
    }
    await tx.query(deferred(`WITH o AS (${update}) ${TIMELINE_INSERT}`), [...orderColumns(order), ...timelineColumns(order.id, timeline)]);
  }

  findById(id: string): Promise<Order | null> {
    return this.dataSource.getRepository(OrderEntity).findOneBy({ id });
  }

  timeline(orderId: string): Promise<OrderTimelineEntity[]> {
    return this.dataSource.getRepository(OrderTimelineEntity).find({ where: { orderId }, order: { id: 'ASC' } });
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  list(query: OrderQuery): Promise<Order[]> {
    const qb = this.dataSource.getRepository(OrderEntity).createQueryBuilder('o');
    if (query.customerId) qb.andWhere('o.customer_id = :customerId', { customerId: query.customerId });
    if (query.status) qb.andWhere('o.status = :status', { status: query.status });
    if (query.after) qb.andWhere('(o.created_at, o.id) < (:createdAt, :id)', { createdAt: query.after.createdAt, id: query.after.id });
    return qb.orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').limit(query.limit).getMany();
  }
}

/** Parameters $13-$18 of the statements here: one order_timeline row. */
const TIMELINE_INSERT = `INSERT INTO order_timeline (order_id, event_id, type, status, occurred_at, detail) VALUES ($13, $14, $15, $16, $17, $18)`;

/** A new order and its first timeline entry (the benchmark's raw intake runs this same statement). */
export const INSERT_ORDER_SQL = `WITH o AS (
    INSERT INTO orders (id, customer_id, status, lines, shipping_address, total_cents, currency, shipment, status_reason, correlation_id, created_at, updated_at, trace_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $19)
  )
  ${TIMELINE_INSERT}`;

export function insertOrderParams(order: Order, timeline: TimelineEntry): unknown[] {
  // the trace id last ($19): it is written once, with the order, and the update of save() leaves it alone
  return [...orderColumns(order), ...timelineColumns(order.id, timeline), order.traceId ?? null];
}

function orderColumns(o: Order): unknown[] {
  return [
    o.id,
    o.customerId,
    o.status,
    JSON.stringify(o.lines),
    JSON.stringify(o.shippingAddress),
    o.totalCents,
    o.currency,
    o.shipment === null ? null : JSON.stringify(o.shipment),
    o.statusReason,
    o.correlationId,
    o.createdAt,
    o.updatedAt,
  ];
}

function timelineColumns(orderId: string, t: TimelineEntry): unknown[] {
  return [orderId, t.eventId, t.type, t.status, t.occurredAt, t.detail == null ? null : JSON.stringify(t.detail)];
}

const ORDER_SELECT = `id, customer_id, status, lines, shipping_address, total_cents, currency, shipment, status_reason, correlation_id, trace_id, created_at, updated_at`;

interface OrderRow {
  id: string;
  customer_id: string;
  status: Order['status'];
  lines: Order['lines'];
  shipping_address: Order['shippingAddress'];
  total_cents: string | null;
  currency: string | null;
  shipment: Order['shipment'];
  status_reason: string | null;
  correlation_id: string;
  trace_id: string | null;
  created_at: Date;
  updated_at: Date;
}

function toOrder(r: OrderRow): Order {
  return {
    id: r.id,
    customerId: r.customer_id,
    status: r.status,
    lines: r.lines,
    shippingAddress: r.shipping_address,
    totalCents: r.total_cents === null ? null : Number(r.total_cents),
    currency: r.currency,
    shipment: r.shipment,
    statusReason: r.status_reason,
    correlationId: r.correlation_id,
    traceId: r.trace_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
