import { DynamicModule, Module } from '@nestjs/common';
import { ServiceModule } from '@app/platform';
import { ShippingConfig } from './config';
import { ShipmentEntity, ShipmentRequestEntity } from './persistence/entities';
import { Shipping1732300000300 } from './persistence/migrations/1732300000300-shipping';
import { ShipmentsRepository } from './persistence/shipments.repository';
import { ShipmentsService } from './application/shipments.service';
import { ShipmentsController } from './http/shipments.controller';
import { ShippingEventsConsumer } from './consumers/shipping-events.consumer';

@Module({})
export class ShippingModule {
  static register(config: ShippingConfig): DynamicModule {
    return {
      module: ShippingModule,
      imports: [ServiceModule.forRoot({ service: 'shipping', config, entities: [ShipmentEntity, ShipmentRequestEntity], migrations: [Shipping1732300000300] })],
      controllers: [ShipmentsController],
      providers: [ShippingEventsConsumer, ShipmentsRepository, ShipmentsService],
    };
  }
}
