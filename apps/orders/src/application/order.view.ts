import { Order, TimelineEntry } from '../domain/order';

/** What the HTTP API shows of an order: a whitelist, never the ORM entity itself. */
export function toOrderView(order: Order, timeline?: TimelineEntry[]) {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    statusReason: order.statusReason ?? undefined,
    lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceCents: l.unitPriceCents })),
    totalCents: order.totalCents ?? undefined,
    currency: order.currency ?? undefined,
    shippingAddress: order.shippingAddress,
    shipment: order.shipment ?? undefined,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    timeline: timeline?.map((t) => ({ type: t.type, status: t.status, occurredAt: new Date(t.occurredAt).toISOString(), eventId: t.eventId, detail: t.detail ?? undefined })),
  };
}

export type OrderView = ReturnType<typeof toOrderView>;
