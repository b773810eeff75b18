import { ServiceDefinition } from '@app/platform';
import { OrdersConfig } from './config';
import { OrdersModule } from './orders.module';

export const ordersService: ServiceDefinition<OrdersConfig> = {
  service: 'orders',
  configClass: OrdersConfig,
  module: (config) => OrdersModule.register(config),
};
