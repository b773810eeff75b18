import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CancelOrderRequest, InvalidIdempotencyKey, ListOrdersQuery, PlaceOrderRequest } from '@app/contracts';
import { PlaceOrderService } from '../application/place-order.service';
import { CancelOrderService } from '../application/cancel-order.service';
import { OrderQueries } from '../application/order-queries.service';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placeOrder: PlaceOrderService,
    private readonly cancelOrder: CancelOrderService,
    private readonly queries: OrderQueries,
  ) {}

  /** 202 Accepted: the order is PENDING; follow `Location` to watch it reach a final state. */
  @Post()
  async place(
    @Body() body: PlaceOrderRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new InvalidIdempotencyKey();
    }
    const validCorrelation = correlationId && /^[\x21-\x7e]{1,100}$/.test(correlationId) ? correlationId : undefined;
    const result = await this.placeOrder.place(body, idempotencyKey, validCorrelation);
    // a replay answers as the first request was answered: 202, the same order
    res.status(HttpStatus.ACCEPTED).header('location', `/orders/${result.order.id}`);
    if (result.replayed) res.header('idempotent-replayed', 'true');
    return result.order;
  }

  @Get()
  list(@Query() query: ListOrdersQuery) {
    return this.queries.list(query);
  }

  @Get(':id')
  get(@Param('id', new ParseUUIDPipe({ version: undefined })) id: string) {
    return this.queries.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: CancelOrderRequest) {
    const outcome = await this.cancelOrder.cancel(id, body?.reason);
    if (outcome.kind !== 'cancelled') throw outcome.error; // ORDER_NOT_FOUND, ORDER_NOT_CANCELLABLE
    return outcome.order;
  }
}
