import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Order, OrderStatus, TimelineEntry } from '../domain/order';
import { OrderEntity, OrderTimelineEntity } from './order.entity';

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

  async insert(tx: EntityManager, order: Order, timeline: TimelineEntry): Promise<void> {
    await tx.insert(OrderEntity, order);
    await this.addTimeline(tx, order.id, timeline);
  }

  /** Loads the order and locks its row until the transaction ends. */
  lockById(tx: EntityManager, id: string): Promise<Order | null> {
    return tx.getRepository(OrderEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async save(tx: EntityManager, order: Order, timeline: TimelineEntry | null): Promise<void> {
    const { id, ...changes } = order;
    await tx.update(OrderEntity, { id }, changes);
    if (timeline) await this.addTimeline(tx, id, timeline);
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

  private async addTimeline(tx: EntityManager, orderId: string, t: TimelineEntry): Promise<void> {
    await tx.insert(OrderTimelineEntity, { orderId, eventId: t.eventId, type: t.type, status: t.status, occurredAt: t.occurredAt, detail: (t.detail ?? null) as any });
  }
}
