import { ServiceDefinition } from '@app/platform';
import { ShippingConfig } from './config';
import { ShippingModule } from './shipping.module';

export const shippingService: ServiceDefinition<ShippingConfig> = {
  service: 'shipping',
  configClass: ShippingConfig,
  module: (config) => ShippingModule.register(config),
};
