import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AddressData, OrderLineData } from '../events/common';
import { MAX_ORDER_LINES } from '../events/orders.events';
import { NestedArray, NestedObject } from '../events/nested';

/** POST /orders body. */
export class PlaceOrderRequest {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  customerId: string;

  @NestedArray(() => OrderLineData, { min: 1, max: MAX_ORDER_LINES, minMessage: 'lines must hold at least one line' })
  lines: OrderLineData[];

  @NestedObject(() => AddressData)
  shippingAddress: AddressData;
}

/** POST /orders/:id/cancel body (optional). */
export class CancelOrderRequest {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export const ORDER_STATUS_FILTER = ['PENDING', 'RESERVED', 'CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED'] as const;

/** GET /orders query. */
export class ListOrdersQuery {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  customerId?: string;

  @IsOptional()
  @IsIn(ORDER_STATUS_FILTER)
  status?: (typeof ORDER_STATUS_FILTER)[number];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}
