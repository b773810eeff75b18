import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Put, UseGuards } from '@nestjs/common';
import { ReceiveStockRequest, SKU_PATTERN, UpsertProductRequest } from '@app/contracts';
import { DomainError } from '@app/platform';
import { CatalogService } from '../application/catalog.service';
import { StockRepository } from '../persistence/stock.repository';
import { AdminGuard } from './admin.guard';

function checkSku(sku: string): string {
  if (!SKU_PATTERN.test(sku)) throw new DomainError('BAD_SKU', 'sku must be 2-40 upper-case letters, digits or dashes', 400);
  return sku;
}

@Controller()
export class ProductsController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly stock: StockRepository,
  ) {}

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
  async reservation(@Param('orderId', new ParseUUIDPipe()) orderId: string) {
    const r = await this.stock.findReservation(orderId);
    if (!r) throw new DomainError('RESERVATION_NOT_FOUND', `no reservation for order ${orderId}`, 404);
    return { orderId: r.orderId, status: r.status, lines: r.lines, totalCents: r.totalCents };
  }
}
