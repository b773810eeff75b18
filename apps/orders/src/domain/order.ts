/** The order aggregate as the orders service sees it; pure data, no ORM. */
export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FINAL_STATUSES: readonly OrderStatus[] = ['CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED'];

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents?: number;
}

export interface Address {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface ShipmentInfo {
  shipmentId: string;
  carrier: string;
  estimatedDelivery: string;
  status: 'SCHEDULED' | 'CANCELLED';
}

export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  lines: OrderLine[];
  shippingAddress: Address;
  totalCents: number | null;
  currency: string | null;
  shipment: ShipmentInfo | null;
  statusReason: string | null;
  correlationId: string;
  /** The trace of the request that placed it (tracing on); set by the intake, not by the domain. */
  traceId?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TimelineEntry {
  eventId: string;
  type: string;
  status: OrderStatus;
  occurredAt: Date;
  detail?: Record<string, unknown> | null;
}

/** A timeline entry decided with its event, before the outbox has given that event its id. */
export type TimelineDraft = Omit<TimelineEntry, 'eventId'>;
