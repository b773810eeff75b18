import { EventEnvelope, OrderCancelledV1, ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1, StockRejectedV1, StockReservedV1 } from '@app/contracts';
import { FINAL_STATUSES, Order, OrderStatus, TimelineEntry } from './order';

/** What applying an event does to an order: the new state and the timeline entry (if anything changed). */
export interface Evolution {
  order: Order;
  timeline: TimelineEntry | null;
}

export type InboundEvent =
  | { kind: 'StockReserved'; envelope: EventEnvelope<StockReservedV1> }
  | { kind: 'StockRejected'; envelope: EventEnvelope<StockRejectedV1> }
  | { kind: 'ShipmentScheduled'; envelope: EventEnvelope<ShipmentScheduledV1> }
  | { kind: 'ShipmentFailed'; envelope: EventEnvelope<ShipmentFailedV1> }
  | { kind: 'ShipmentCancelled'; envelope: EventEnvelope<ShipmentCancelledV1> };

export function isFinal(status: OrderStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Orders move forward only: PENDING -> RESERVED -> a final state. */
function canMoveTo(from: OrderStatus, to: OrderStatus): boolean {
  if (isFinal(from)) return false;
  if (from === 'RESERVED') return isFinal(to);
  return to !== 'PENDING';
}

/**
 * Applies an event from inventory or shipping. Late, repeated or out-of-order events never move
 * an order backwards; facts they carry (prices, shipment) are still recorded when useful.
 */
export function evolve(order: Order, event: InboundEvent, now: Date): Evolution {
  const { envelope } = event;
  const entry = (status: OrderStatus, detail?: Record<string, unknown>): TimelineEntry => ({
    eventId: envelope.id,
    type: envelope.type,
    status,
    occurredAt: new Date(envelope.occurredAt),
    detail,
  });
  const moved = (to: OrderStatus, patch: Partial<Order>, detail?: Record<string, unknown>): Evolution => {
    const status = canMoveTo(order.status, to) ? to : order.status;
    const next = { ...order, ...patch, status, updatedAt: now };
    return { order: next, timeline: entry(status, { ...detail, ...(status === to ? {} : { ignoredTransition: `${order.status} -> ${to}` }) }) };
  };

  switch (event.kind) {
    case 'StockReserved': {
      const { lines, totalCents, currency } = event.envelope.data;
      const prices = new Map(lines.map((l) => [l.sku, l.unitPriceCents]));
      const pricedLines = order.lines.map((l) => ({ ...l, unitPriceCents: prices.get(l.sku) ?? l.unitPriceCents }));
      return moved('RESERVED', { lines: pricedLines, totalCents, currency }, { totalCents, currency });
    }
    case 'StockRejected': {
      const reasons = event.envelope.data.reasons;
      const reason = reasons.map((r) => `${r.sku}: ${r.reason} (requested ${r.requested}, available ${r.available})`).join('; ');
      return moved('REJECTED', canMoveTo(order.status, 'REJECTED') ? { statusReason: reason } : {}, { reasons });
    }
    case 'ShipmentScheduled': {
      const { shipmentId, carrier, estimatedDelivery } = event.envelope.data;
      return moved('CONFIRMED', { shipment: { shipmentId, carrier, estimatedDelivery, status: 'SCHEDULED' } }, { shipmentId, carrier, estimatedDelivery });
    }
    case 'ShipmentFailed': {
      const { reason, detail } = event.envelope.data;
      return moved('FAILED', canMoveTo(order.status, 'FAILED') ? { statusReason: `${reason}: ${detail}` } : {}, { reason, detail });
    }
    case 'ShipmentCancelled': {
      const shipment = order.shipment ? { ...order.shipment, status: 'CANCELLED' as const } : null;
      return { order: { ...order, shipment, updatedAt: now }, timeline: entry(order.status, { shipmentId: event.envelope.data.shipmentId }) };
    }
    default: {
      const unreachable: never = event;
      throw new Error(`unhandled event ${(unreachable as InboundEvent).kind}`);
    }
  }
}

export type CancelDecision = { ok: true; order: Order; event: OrderCancelledV1 } | { ok: false; reason: string };

/** A customer may cancel while the order is PENDING or RESERVED; afterwards it is too late. */
export function decideCancel(order: Order, reason: string | undefined, now: Date): CancelDecision {
  if (order.status !== 'PENDING' && order.status !== 'RESERVED') {
    return { ok: false, reason: `order ${order.id} is ${order.status} and can no longer be cancelled` };
  }
  const event = Object.assign(new OrderCancelledV1(), reason ? { reason } : {});
  return { ok: true, order: { ...order, status: 'CANCELLED', statusReason: reason ?? 'cancelled by customer', updatedAt: now }, event };
}
