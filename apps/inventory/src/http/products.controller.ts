import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Put, UseGuards } from '@nestjs/common';
import { InvalidSku, ReceiveStockRequest, SKU_PATTERN, UpsertProductRequest } from '@app/contracts';
import { CatalogService } from '../application/catalog.service';
import { AdminGuard } from './admin.guard';

function checkSku(sku: string): string {
  if (!SKU_PATTERN.test(sku)) throw new InvalidSku();
  return sku;
}

@Controller()
export class ProductsController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('products')
  list() {
    return this.catalog.list();
  }

  @Get('products/:sku')
  get(@Param('sku') sku: string) {
    return this.catalog.get(checkSku(sku));
  }

  @Put('products/:sku')
  @UseGuards(AdminGuard)
  upsert(@Param('sku') sku: string, @Body() body: UpsertProductRequest) {
    return this.catalog.upsert(checkSku(sku), body);
  }

  @Post('products/:sku/stock')
  @UseGuards(AdminGuard)
  receive(@Param('sku') sku: string, @Body() body: ReceiveStockRequest) {
    return this.catalog.receive(checkSku(sku), body);
  }

  @Get('reservations/:orderId')
  reservation(@Param('orderId', new ParseUUIDPipe()) orderId: string) {
    return this.catalog.reservation(orderId);
  }
}
