import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CancelOrderRequest, ListOrdersQuery, PlaceOrderRequest } from '@app/contracts';
import { DomainError } from '@app/platform';
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
      throw new DomainError('BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-200 printable ASCII characters', 400);
    }
    const validCorrelation = correlationId && /^[\x21-\x7e]{1,100}$/.test(correlationId) ? correlationId : undefined;
    const result = await this.placeOrder.place(body, idempotencyKey, validCorrelation);
    res.status(result.status).header('location', `/orders/${result.body.id}`);
    if (result.replayed) res.header('idempotent-replayed', 'true');
    return result.body;
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
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: CancelOrderRequest) {
    return this.cancelOrder.cancel(id, body?.reason);
  }
}
