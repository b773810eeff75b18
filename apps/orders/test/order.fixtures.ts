import { randomUUID } from 'node:crypto';
import { Order } from '../src/domain/order';
import { placeOrder } from '../src/domain/order.decide';

/** The body of a valid `POST /orders`: one line, to a served address. */
export const aPlaceOrderRequest = () => ({
  customerId: 'c',
  lines: [{ sku: 'KB-001', quantity: 2 }],
  shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' },
});

/** A new order (placeOrder), then as `overrides` say: e.g. `anOrder({ status: 'RESERVED' })`. */
export function anOrder(overrides: Partial<Order> = {}, now = new Date('2026-01-01T00:00:00Z')): Order {
  const { order } = placeOrder(aPlaceOrderRequest(), { orderId: randomUUID(), correlationId: 'corr' }, now);
  return { ...order, ...overrides };
}
