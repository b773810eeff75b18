import { ServiceDefinition } from '@app/platform';
import { InventoryConfig } from './config';
import { InventoryModule } from './inventory.module';

export const inventoryService: ServiceDefinition<InventoryConfig> = {
  service: 'inventory',
  configClass: InventoryConfig,
  module: (config) => InventoryModule.register(config),
};
