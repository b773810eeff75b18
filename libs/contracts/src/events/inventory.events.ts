import { IsIn, IsInt, IsString, Max, Min, Matches } from 'class-validator';
import { CURRENCIES, Currency, MAX_LINE_QUANTITY, SKU_PATTERN } from './common';
import { MAX_ORDER_LINES } from './orders.events';
import { NestedArray } from './nested';

/**
 * The most units one reserved line may hold: an order may name a SKU on several lines, each within
 * MAX_LINE_QUANTITY, and inventory reserves them as one line of their sum.
 */
export const MAX_RESERVED_QUANTITY = MAX_LINE_QUANTITY * MAX_ORDER_LINES;

/** One SKU of a reservation: the order's lines of that SKU summed, at the price reserved. */
export class ReservedLineData {
  @Matches(SKU_PATTERN, { message: 'sku must be 2-40 upper-case letters, digits or dashes' })
  sku: string;

  @IsInt()
  @Min(1)
  @Max(MAX_RESERVED_QUANTITY)
  quantity: number;

  @IsInt()
  @Min(0)
  unitPriceCents: number;
}

/** Every line of the order is reserved, at these prices: one line per SKU. */
export class StockReservedV1 {
  static readonly type = 'StockReserved';
  static readonly version = 1;

  @NestedArray(() => ReservedLineData, { min: 1, max: MAX_ORDER_LINES })
  lines: ReservedLineData[];

  @IsInt()
  @Min(0)
  totalCents: number;

  @IsIn(CURRENCIES)
  currency: Currency;
}

export const STOCK_REJECTION_REASONS = ['OUT_OF_STOCK', 'UNKNOWN_SKU'] as const;
export type StockRejectionReason = (typeof STOCK_REJECTION_REASONS)[number];

export class StockRejectionData {
  @Matches(SKU_PATTERN)
  sku: string;

  @IsIn(STOCK_REJECTION_REASONS)
  reason: StockRejectionReason;

  @IsInt()
  @Min(1)
  requested: number;

  @IsInt()
  @Min(0)
  available: number;
}

/** At least one line could not be reserved, so none was. */
export class StockRejectedV1 {
  static readonly type = 'StockRejected';
  static readonly version = 1;

  @NestedArray(() => StockRejectionData, { min: 1, max: MAX_ORDER_LINES })
  reasons: StockRejectionData[];
}

/** A reservation was given back to available stock (order cancelled or shipment failed/cancelled). */
export class StockReleasedV1 {
  static readonly type = 'StockReleased';
  static readonly version = 1;

  @IsString()
  cause: string;
}
