import { randomUUID } from 'node:crypto';
import { EventEnvelope, ShipmentScheduledV1, StockReservedV1 } from '@app/contracts';
import { Order, OrderStatus } from './order';
import { decideCancel, evolve, InboundEvent } from './order.decide';

const now = new Date('2026-01-01T00:00:00Z');

function order(status: OrderStatus): Order {
  return {
    id: randomUUID(),
    customerId: 'c',
    status,
    lines: [{ sku: 'KB-001', quantity: 2 }],
    shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' },
    totalCents: null,
    currency: null,
    shipment: null,
    statusReason: null,
    correlationId: 'corr',
    createdAt: now,
    updatedAt: now,
  };
}

function envelope<T>(type: string, data: T): EventEnvelope<T> {
  return { id: randomUUID(), type, version: 1, occurredAt: now.toISOString(), orderId: randomUUID(), correlationId: 'corr', causationId: null, data };
}

const reserved = (): InboundEvent => ({
  kind: 'StockReserved',
  envelope: envelope('StockReserved', Object.assign(new StockReservedV1(), { lines: [{ sku: 'KB-001', quantity: 2, unitPriceCents: 500 }], totalCents: 1000, currency: 'EUR' })),
});
const scheduled = (): InboundEvent => ({
  kind: 'ShipmentScheduled',
  envelope: envelope('ShipmentScheduled', Object.assign(new ShipmentScheduledV1(), { shipmentId: randomUUID(), carrier: 'DHL', estimatedDelivery: now.toISOString() })),
});
const failed = (): InboundEvent => ({ kind: 'ShipmentFailed', envelope: envelope('ShipmentFailed', { reason: 'DESTINATION_NOT_SERVED' as const, detail: 'no' }) });
const rejected = (): InboundEvent => ({ kind: 'StockRejected', envelope: envelope('StockRejected', { reasons: [{ sku: 'KB-001', reason: 'OUT_OF_STOCK' as const, requested: 2, available: 0 }] }) });

describe('order saga transitions', () => {
  it('given PENDING, when stock is reserved, then RESERVED with prices and total', () => {
    const { order: next, timeline } = evolve(order('PENDING'), reserved(), now);
    expect(next.status).toBe('RESERVED');
    expect(next.lines).toEqual([{ sku: 'KB-001', quantity: 2, unitPriceCents: 500 }]);
    expect(next.totalCents).toBe(1000);
    expect(timeline?.status).toBe('RESERVED');
  });

  it('given RESERVED, when the shipment is scheduled, then CONFIRMED with the shipment', () => {
    const { order: next } = evolve(order('RESERVED'), scheduled(), now);
    expect(next.status).toBe('CONFIRMED');
    expect(next.shipment?.carrier).toBe('DHL');
  });

  it('given PENDING, when the shipment event overtakes the reservation, then CONFIRMED, and the late reservation only adds prices', () => {
    const confirmed = evolve(order('PENDING'), scheduled(), now).order;
    expect(confirmed.status).toBe('CONFIRMED');
    const late = evolve(confirmed, reserved(), now);
    expect(late.order.status).toBe('CONFIRMED');
    expect(late.order.totalCents).toBe(1000);
    expect(late.timeline?.detail).toMatchObject({ ignoredTransition: 'CONFIRMED -> RESERVED' });
  });

  it.each([['CANCELLED'], ['REJECTED'], ['FAILED'], ['CONFIRMED']] as const)('given %s, no event moves the order again', (status) => {
    for (const event of [reserved(), scheduled(), failed(), rejected()]) {
      expect(evolve(order(status), event, now).order.status).toBe(status);
    }
  });

  it('given PENDING, when stock is rejected, then REJECTED with the reasons', () => {
    const { order: next } = evolve(order('PENDING'), rejected(), now);
    expect(next.status).toBe('REJECTED');
    expect(next.statusReason).toBe('KB-001: OUT_OF_STOCK (requested 2, available 0)');
  });

  it('given PENDING, when the shipment fails, then FAILED with the reason', () => {
    const { order: next } = evolve(order('PENDING'), failed(), now);
    expect(next.status).toBe('FAILED');
    expect(next.statusReason).toBe('DESTINATION_NOT_SERVED: no');
  });
});

describe('cancelling', () => {
  it.each([['PENDING'], ['RESERVED']] as const)('is allowed while %s and emits OrderCancelled', (status) => {
    const decision = decideCancel(order(status), 'changed my mind', now);
    expect(decision.ok).toBe(true);
    if (decision.ok) {
      expect(decision.order.status).toBe('CANCELLED');
      expect(decision.event.reason).toBe('changed my mind');
    }
  });

  it.each([['CONFIRMED'], ['REJECTED'], ['FAILED'], ['CANCELLED']] as const)('is refused once %s', (status) => {
    expect(decideCancel(order(status), undefined, now)).toEqual({ ok: false, reason: expect.stringContaining(`is ${status}`) });
  });
});
