import 'reflect-metadata';
import './tracing'; // before anything else loads http or pg
import { runService } from '@app/platform';
import { shippingService } from './shipping.definition';

void runService(shippingService);
