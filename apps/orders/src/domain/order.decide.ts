import {
  EventEnvelope,
  OrderCancelledV1,
  OrderPlacedV1,
  PlaceOrderRequest,
  ShipmentCancelledV1,
  ShipmentFailedV1,
  ShipmentScheduledV1,
  StockRejectedV1,
  StockReservedV1,
} from '@app/contracts';
import { FINAL_STATUSES, Order, OrderStatus, TimelineDraft, TimelineEntry } from './order';

/** The ids a new order gets: its own, and the correlation id its events carry (the caller's, or a new one). */
export interface NewOrderIds {
  orderId: string;
  correlationId: string;
}

/** A placed order: PENDING, the OrderPlaced that announces it, and its first timeline entry. */
export interface PlacedOrder {
  order: Order;
  event: OrderPlacedV1;
  timeline: TimelineDraft;
}

/**
 * Places an order from a `POST /orders` body that passed validation. It has no prices yet: inventory
 * reserves its lines at the current prices (StockReserved). OrderPlaced carries the request's own lines and
 * address, which passed the rules of PlaceOrderRequest, OrderPlacedV1's (`orders.dto.spec.ts` holds them equal).
 */
export function placeOrder(request: Pick<PlaceOrderRequest, 'customerId' | 'lines' | 'shippingAddress'>, ids: NewOrderIds, now: Date): PlacedOrder {
  const order: Order = {
    id: ids.orderId,
    customerId: request.customerId,
    status: 'PENDING',
    lines: request.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    shippingAddress: { ...request.shippingAddress },
    totalCents: null,
    currency: null,
    shipment: null,
    statusReason: null,
    correlationId: ids.correlationId,
    createdAt: now,
    updatedAt: now,
  };
  const event = Object.assign(new OrderPlacedV1(), { customerId: request.customerId, lines: request.lines, shippingAddress: request.shippingAddress });
  return { order, event, timeline: placedEntry(order) };
}

/** An order's first timeline entry: placed, PENDING, when it was created. */
export function placedEntry(order: Pick<Order, 'createdAt'>): TimelineDraft {
  return { type: OrderPlacedV1.type, status: 'PENDING', occurredAt: order.createdAt };
}

/**
 * What applying an event does to an order. Idempotent by business key as well as by event id: a step the
 * order has already taken (the same fact under another event id: a replay, an operator's re-send) is
 * `unchanged`, and a fact that contradicts what the order holds (another shipment, another total, a
 * reservation of a rejected order) is a `conflict`, never applied.
 */
export type Evolution =
  | { kind: 'moved'; order: Order; timeline: TimelineEntry }
  | { kind: 'unchanged'; why: string }
  | { kind: 'conflict'; why: string };

export type InboundEvent =
  | { kind: 'StockReserved'; envelope: EventEnvelope<StockReservedV1> }
  | { kind: 'StockRejected'; envelope: EventEnvelope<StockRejectedV1> }
  | { kind: 'ShipmentScheduled'; envelope: EventEnvelope<ShipmentScheduledV1> }
  | { kind: 'ShipmentFailed'; envelope: EventEnvelope<ShipmentFailedV1> }
  | { kind: 'ShipmentCancelled'; envelope: EventEnvelope<ShipmentCancelledV1> };

export function isFinal(status: OrderStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/**
 * Applies an event from inventory or shipping. Orders move forward only (PENDING -> RESERVED -> a final
 * state); the two topics may deliver out of order (a shipment before its reservation), so a late event
 * still adds the facts the order lacks (prices, a shipment) without moving it back.
 */
export function evolve(order: Order, event: InboundEvent, now: Date): Evolution {
  const { envelope } = event;
  const moved = (patch: Partial<Order>, detail: Record<string, unknown>): Evolution => {
    const next = { ...order, ...patch, updatedAt: now };
    return {
      kind: 'moved',
      order: next,
      timeline: { eventId: envelope.id, type: envelope.type, status: next.status, occurredAt: new Date(envelope.occurredAt), detail },
    };
  };
  const unchanged = (why: string): Evolution => ({ kind: 'unchanged', why: `order ${order.id} is ${order.status}: ${why}` });
  const conflict = (why: string): Evolution => ({ kind: 'conflict', why: `order ${order.id} is ${order.status}: ${why}` });

  switch (event.kind) {
    case 'StockReserved': {
      const { lines, totalCents, currency } = event.envelope.data;
      if (order.status === 'REJECTED') return conflict('inventory rejected its stock before, and now reports it reserved');
      if (order.totalCents !== null) {
        return order.totalCents === totalCents && order.currency === currency
          ? unchanged('its stock reservation is already recorded')
          : conflict(`its reservation is recorded at ${order.totalCents} ${order.currency}, this one says ${totalCents} ${currency}`);
      }
      // cancelled while its stock was being reserved: inventory releases it on OrderCancelled
      if (order.status === 'CANCELLED') return unchanged('cancelled before its stock was reserved');
      const prices = new Map(lines.map((l) => [l.sku, l.unitPriceCents]));
      const pricedLines = order.lines.map((l) => ({ ...l, unitPriceCents: prices.get(l.sku) ?? l.unitPriceCents }));
      // a shipment may have confirmed the order first: the late reservation only adds its prices
      const status = order.status === 'PENDING' ? 'RESERVED' : order.status;
      return moved({ status, lines: pricedLines, totalCents, currency }, { totalCents, currency });
    }
    case 'StockRejected': {
      const reasons = event.envelope.data.reasons;
      if (order.status === 'REJECTED') return unchanged('its rejection is already recorded');
      if (order.status === 'CANCELLED') return unchanged('cancelled before its stock was rejected');
      if (order.status !== 'PENDING') return conflict('inventory reserved its stock before, and now reports it rejected');
      const statusReason = reasons.map((r) => `${r.sku}: ${r.reason} (requested ${r.requested}, available ${r.available})`).join('; ');
      return moved({ status: 'REJECTED', statusReason }, { reasons });
    }
    case 'ShipmentScheduled': {
      const { shipmentId, carrier, estimatedDelivery } = event.envelope.data;
      if (order.shipment) {
        return order.shipment.shipmentId === shipmentId
          ? unchanged(`shipment ${shipmentId} is already recorded`)
          : conflict(`it has shipment ${order.shipment.shipmentId}, this event schedules another, ${shipmentId}`);
      }
      if (order.status === 'REJECTED' || order.status === 'FAILED') return conflict('a shipment was scheduled for an order that cannot ship');
      const shipment = { shipmentId, carrier, estimatedDelivery, status: 'SCHEDULED' as const };
      // a shipment scheduled as the order was cancelled is recorded: shipping cancels it next (ShipmentCancelled)
      const status = order.status === 'CANCELLED' ? order.status : 'CONFIRMED';
      return moved({ status, shipment }, { shipmentId, carrier, estimatedDelivery });
    }
    case 'ShipmentFailed': {
      const { reason, detail } = event.envelope.data;
      if (order.status === 'FAILED') return unchanged('its shipment failure is already recorded');
      if (order.status === 'CANCELLED') return unchanged('cancelled before its shipment failed');
      if (order.status === 'CONFIRMED' || order.status === 'REJECTED') return conflict('a shipment failed for an order that cannot ship or has shipped');
      return moved({ status: 'FAILED', statusReason: `${reason}: ${detail}` }, { reason, detail });
    }
    case 'ShipmentCancelled': {
      const { shipmentId } = event.envelope.data;
      if (!order.shipment) return unchanged(`it has no shipment to cancel (${shipmentId})`);
      if (order.shipment.shipmentId !== shipmentId) return conflict(`it has shipment ${order.shipment.shipmentId}, this event cancels another, ${shipmentId}`);
      if (order.shipment.status === 'CANCELLED') return unchanged(`shipment ${shipmentId} is already cancelled`);
      return moved({ shipment: { ...order.shipment, status: 'CANCELLED' } }, { shipmentId });
    }
    default: {
      const unreachable: never = event;
      throw new Error(`unhandled event ${(unreachable as InboundEvent).kind}`);
    }
  }
}

export type CancelDecision = { ok: true; order: Order; event: OrderCancelledV1; timeline: TimelineDraft } | { ok: false; reason: string };

/** The states a cancel may take an order from. */
export const CANCELLABLE_STATUSES: readonly OrderStatus[] = ['PENDING', 'RESERVED'];

/**
 * A customer may cancel while the order is PENDING or RESERVED; afterwards it is too late. The system's
 * cancel of an order stuck at a step names the states the order waits in for that step (`waitsIn`), decided
 * on what the order looked like before it was locked: an order that has moved on since is left as it is.
 */
export function decideCancel(order: Order, reason: string | undefined, now: Date, waitsIn?: readonly OrderStatus[]): CancelDecision {
  if (waitsIn && !waitsIn.includes(order.status)) {
    return { ok: false, reason: `order ${order.id} is ${order.status}, no longer waiting for that step` };
  }
  if (!CANCELLABLE_STATUSES.includes(order.status)) {
    return { ok: false, reason: `order ${order.id} is ${order.status} and can no longer be cancelled` };
  }
  const event = Object.assign(new OrderCancelledV1(), reason ? { reason } : {});
  return {
    ok: true,
    order: { ...order, status: 'CANCELLED', statusReason: reason ?? 'cancelled by customer', updatedAt: now },
    event,
    timeline: { type: OrderCancelledV1.type, status: 'CANCELLED', occurredAt: now, detail: reason ? { reason } : undefined },
  };
}
