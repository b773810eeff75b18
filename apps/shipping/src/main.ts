import 'reflect-metadata';
import { runService } from '@app/platform';
import { shippingService } from './shipping.definition';

void runService(shippingService);
