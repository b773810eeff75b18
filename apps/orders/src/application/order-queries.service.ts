import { Injectable } from '@nestjs/common';
import { InvalidCursor, ListOrdersQuery, OrderNotFound } from '@app/contracts';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderView, toOrderView } from './order.view';

const DEFAULT_PAGE = 20;

@Injectable()
export class OrderQueries {
  constructor(private readonly orders: OrdersRepository) {}

  async get(id: string): Promise<OrderView> {
    const order = await this.orders.findById(id);
    if (!order) throw new OrderNotFound(id);
    return toOrderView(order, await this.orders.timeline(id));
  }

  async list(query: ListOrdersQuery): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const page = await this.orders.list({
      customerId: query.customerId,
      status: query.status,
      limit: limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const items = page.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map((o) => toOrderView(o)), nextCursor: page.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }
}

export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** toISOString() of a time in years 1-9999 (PostgreSQL refuses year 0; later years print with a sign). */
const ISO_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The page position a nextCursor holds. Only what encodeCursor can have written passes (a uuid, and a
 * timestamp of years 1-9999 that prints back the same): anything else would reach PostgreSQL's
 * casts and come back as a 500.
 */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  if (rest.length > 0 || !id || !UUID.test(id) || !ISO_TIME.test(iso) || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) {
    throw new InvalidCursor();
  }
  return { createdAt, id };
}
