import { DynamicModule, Module } from '@nestjs/common';
import { ServiceModule } from '@app/platform';
import { InventoryMetrics } from './application/inventory-metrics';
import { InventoryConfig } from './config';
import { ProductEntity, ReservationEntity } from './persistence/entities';
import { Inventory1732300000200 } from './persistence/migrations/1732300000200-inventory';
import { ReservationRejected1764900000000 } from './persistence/migrations/1764900000000-reservation-rejected';
import { ReservationShipment1764900000100 } from './persistence/migrations/1764900000100-reservation-shipment';
import { StockRepository } from './persistence/stock.repository';
import { ReservationsService } from './application/reservations.service';
import { CatalogService } from './application/catalog.service';
import { DemoSeedService } from './application/demo-seed.service';
import { ProductsController } from './http/products.controller';
import { AdminGuard } from './http/admin.guard';
import { InventoryEventsConsumer } from './consumers/inventory-events.consumer';

@Module({})
export class InventoryModule {
  static register(config: InventoryConfig): DynamicModule {
    return {
      module: InventoryModule,
      imports: [
        ServiceModule.forRoot({ service: 'inventory', config, entities: [ProductEntity, ReservationEntity], migrations: [Inventory1732300000200, ReservationRejected1764900000000, ReservationShipment1764900000100] }),
      ],
      controllers: [ProductsController],
      providers: [InventoryMetrics, InventoryEventsConsumer, StockRepository, ReservationsService, CatalogService, DemoSeedService, AdminGuard],
    };
  }
}
