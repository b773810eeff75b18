import { IsIn, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { CURRENCIES, Currency } from '../events/common';

/** PUT /products/:sku body (admin): creates or updates a product's name and price. */
export class UpsertProductRequest {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @IsInt()
  @Min(0)
  @Max(100_000_000)
  priceCents: number;

  @IsIn(CURRENCIES)
  currency: Currency = 'EUR';
}

/** POST /products/:sku/stock body (admin): adds received units to available stock. */
export class ReceiveStockRequest {
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quantity: number;
}
