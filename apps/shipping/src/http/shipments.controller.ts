import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ShipmentsService } from '../application/shipments.service';

@Controller('shipments')
export class ShipmentsController {
  constructor(private readonly shipments: ShipmentsService) {}

  /** The shipment of an order (404 until shipping has decided). */
  @Get(':orderId')
  byOrder(@Param('orderId', new ParseUUIDPipe()) orderId: string) {
    return this.shipments.byOrder(orderId);
  }
}
