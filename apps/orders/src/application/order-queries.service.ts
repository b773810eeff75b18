import { Injectable } from '@nestjs/common';
import { ListOrdersQuery } from '@app/contracts';
import { DomainError } from '@app/platform';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderView, toOrderView } from './order.view';

const DEFAULT_PAGE = 20;

@Injectable()
export class OrderQueries {
  constructor(private readonly orders: OrdersRepository) {}

  async get(id: string): Promise<OrderView> {
    const order = await this.orders.findById(id);
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `order ${id} does not exist`, 404);
    return toOrderView(order, await this.orders.timeline(id));
  }

  async list(query: ListOrdersQuery): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const page = await this.orders.list({ customerId: query.customerId, status: query.status, limit: limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined });
    const items = page.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map((o) => toOrderView(o)), nextCursor: page.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new DomainError('BAD_CURSOR', 'cursor must be the nextCursor of a previous page', 400);
  }
  return { createdAt, id };
}
