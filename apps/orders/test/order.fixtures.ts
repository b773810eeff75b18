import { randomUUID } from 'node:crypto';
import { Order } from '../src/domain/order';

/** A PENDING order of one line, then as `overrides` say: e.g. `anOrder({ status: 'RESERVED' })`. */
export function anOrder(overrides: Partial<Order> = {}, now = new Date('2026-01-01T00:00:00Z')): Order {
  return {
    id: randomUUID(),
    customerId: 'c',
    status: 'PENDING',
    lines: [{ sku: 'KB-001', quantity: 2 }],
    shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' },
    totalCents: null,
    currency: null,
    shipment: null,
    statusReason: null,
    correlationId: 'corr',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
