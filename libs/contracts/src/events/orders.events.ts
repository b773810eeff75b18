import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { AddressData, OrderLineData } from './common';
import { NestedArray, NestedObject } from './nested';

export const MAX_ORDER_LINES = 50;

/** A customer placed an order; inventory now reserves its lines. */
export class OrderPlacedV1 {
  static readonly type = 'OrderPlaced';
  static readonly version = 1;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  customerId: string;

  @NestedArray(() => OrderLineData, { min: 1, max: MAX_ORDER_LINES, minMessage: 'lines must hold at least one line' })
  lines: OrderLineData[];

  @NestedObject(() => AddressData)
  shippingAddress: AddressData;
}

/** The customer cancelled an order that was still PENDING or RESERVED. */
export class OrderCancelledV1 {
  static readonly type = 'OrderCancelled';
  static readonly version = 1;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
