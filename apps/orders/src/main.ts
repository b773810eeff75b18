import 'reflect-metadata';
import { runService } from '@app/platform';
import { ordersService } from './orders.definition';

void runService(ordersService);
