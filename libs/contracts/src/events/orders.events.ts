import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsOptional, IsString, MaxLength, ValidateNested, IsNotEmpty } from 'class-validator';
import { AddressData, OrderLineData } from './common';

export const MAX_ORDER_LINES = 50;

/** A customer placed an order; inventory now reserves its lines. */
export class OrderPlacedV1 {
  static readonly type = 'OrderPlaced';
  static readonly version = 1;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  customerId: string;

  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderLineData)
  lines: OrderLineData[];

  @ValidateNested()
  @Type(() => AddressData)
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
