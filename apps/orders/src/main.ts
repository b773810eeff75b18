import 'reflect-metadata';
import './tracing'; // before anything else loads http or pg
import { runService } from '@app/platform';
import { ordersService } from './orders.definition';

void runService(ordersService);
