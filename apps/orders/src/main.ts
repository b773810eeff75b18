import 'reflect-metadata';
import { runService } from '@app/platform';
import { ordersService } from './orders.service';

void runService(ordersService);
