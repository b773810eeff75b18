import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderPlacedV1, PlaceOrderRequest } from '@app/contracts';
import { DomainError } from '@app/platform';
import { Order } from '../domain/order';
import { IdempotencyKeyEntity } from '../persistence/order.entity';
import { OrderIntake } from './order-intake';
import { OrderView, toOrderView } from './order.view';

export interface PlaceOrderResult {
  status: number;
  body: OrderView;
  replayed: boolean;
}

/**
 * Places an order: the PENDING order, its first timeline entry, the OrderPlaced event and (with an
 * Idempotency-Key) the answer itself all commit in one transaction. A retry with the same key and
 * body gets that same answer back; the same key with another body is refused. Orders without a key
 * go through the intake's group commit (several orders' transactions in one, answered after it).
 */
@Injectable()
export class PlaceOrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: OrderIntake,
  ) {}

  /** `request` has passed validation (the global ValidationPipe), so its OrderPlaced is not checked again. */
  async place(request: PlaceOrderRequest, idempotencyKey?: string, correlationId?: string, now = new Date()): Promise<PlaceOrderResult> {
    const order: Order = {
      id: randomUUID(),
      customerId: request.customerId,
      status: 'PENDING',
      lines: request.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      shippingAddress: { ...request.shippingAddress },
      totalCents: null,
      currency: null,
      shipment: null,
      statusReason: null,
      correlationId: correlationId ?? randomUUID(),
      createdAt: now,
      updatedAt: now,
    };
    const body = toOrderView(order);
    const data = Object.assign(new OrderPlacedV1(), { customerId: request.customerId, lines: request.lines, shippingAddress: request.shippingAddress });
    if (!idempotencyKey) {
      await this.intake.place({ order, event: data });
      return { status: 202, body, replayed: false };
    }

    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    return this.dataSource.transaction(async (tx) => {
      const claimed = await tx
        .createQueryBuilder()
        .insert()
        .into(IdempotencyKeyEntity)
        .values({ key: idempotencyKey, requestHash, orderId: order.id, responseStatus: 202, responseBody: body as any })
        .orIgnore()
        .returning(['key'])
        .execute();
      if (claimed.raw.length === 0) {
        const first = await tx.findOneByOrFail(IdempotencyKeyEntity, { key: idempotencyKey });
        if (first.requestHash !== requestHash) {
          throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for a different request', 422);
        }
        return { status: first.responseStatus, body: first.responseBody as unknown as OrderView, replayed: true };
      }
      await this.intake.write(tx, [{ order, event: data }]);
      return { status: 202, body, replayed: false };
    });
  }
}
