import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdempotencyKeyReused, PlaceOrderRequest } from '@app/contracts';
import { currentTraceId, EVENT_LINE_LEVEL, eventLinesOn, serviceLog } from '@app/messaging';
import type { Order } from '../domain/order';
import { placeOrder } from '../domain/order.decide';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderIntake } from './order-intake';
import { OrderView, toOrderView } from './order.view';

export interface PlaceOrderResult {
  /** The PENDING order; for a replay, the order the key's first request placed. */
  order: OrderView;
  /** The Idempotency-Key came with this same request before: nothing new was placed. */
  replayed: boolean;
}

/**
 * Places an order: the PENDING order, its first timeline entry, the OrderPlaced event and (with an
 * Idempotency-Key) the answer itself all commit in one transaction. A retry with the same key and
 * body gets that same answer back; the same key with another body is refused (IdempotencyKeyReused).
 * Orders without a key go through the intake's group commit (several orders' transactions in one,
 * answered after it).
 */
@Injectable()
export class PlaceOrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: OrderIntake,
    private readonly orders: OrdersRepository,
  ) {}

  /** `request` has passed validation (the global ValidationPipe), so its OrderPlaced is not checked again. */
  async place(request: PlaceOrderRequest, idempotencyKey?: string, correlationId?: string, now = new Date()): Promise<PlaceOrderResult> {
    const placed = placeOrder(request, { orderId: randomUUID(), correlationId: correlationId ?? randomUUID() }, now);
    const order = toOrderView(placed.order);
    if (!idempotencyKey) {
      await this.intake.place(placed);
      placedLine(placed.order);
      return { order, replayed: false };
    }

    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const result = await this.dataSource.transaction(async (tx): Promise<PlaceOrderResult> => {
      const first = await this.orders.claimIdempotencyKey(tx, { key: idempotencyKey, requestHash, orderId: placed.order.id, answer: order });
      if (first) {
        if (first.requestHash !== requestHash) throw new IdempotencyKeyReused();
        return { order: first.answer as unknown as OrderView, replayed: true };
      }
      await this.intake.write(tx, [placed]);
      return { order, replayed: false };
    });
    if (!result.replayed) placedLine(placed.order);
    return result;
  }
}

/** The first line of an order's story, once it is committed: the request's trace (tracing on) starts here. */
function placedLine(order: Order): void {
  if (!eventLinesOn()) return;
  serviceLog()[EVENT_LINE_LEVEL]({ context: 'PlaceOrder', orderId: order.id, correlationId: order.correlationId, traceId: currentTraceId() }, 'order placed');
}
