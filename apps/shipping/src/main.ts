import 'reflect-metadata';
import { runService } from '@app/platform';
import { shippingService } from './shipping.service';

void runService(shippingService);
