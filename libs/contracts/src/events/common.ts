import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO31661Alpha2, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** Stock keeping unit: upper-case letters, digits and dashes. */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,39}$/;
export const MAX_LINE_QUANTITY = 1000;
export const CURRENCIES = ['EUR'] as const;
export type Currency = (typeof CURRENCIES)[number];

export class OrderLineData {
  @Matches(SKU_PATTERN, { message: 'sku must be 2-40 upper-case letters, digits or dashes' })
  sku: string;

  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity: number;
}

export class AddressData {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  line1: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  line2?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  city: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(20)
  postalCode: string;

  @IsISO31661Alpha2({ message: 'country must be an ISO 3166-1 alpha-2 code such as DE or FR' })
  country: string;
}

export class MoneyData {
  @IsInt()
  @Min(0)
  totalCents: number;

  @IsIn(CURRENCIES)
  currency: Currency;
}

export { Type };
