import { Orders1732300000100 } from './1732300000100-orders';
import { OrderTraceId1765000000100 } from './1765000000100-order-trace-id';

/** The orders tables' migrations, in order: the service, the tests and the benchmark that share its schema run them all. */
export const ORDERS_MIGRATIONS = [Orders1732300000100, OrderTraceId1765000000100];
