/**
 * What the chaos run records and what its checker reads: the load's own history (what it asked for and what
 * it was told) and, after quiescence, what the databases and the topics hold. Plain data, so the checker is a
 * pure function tested without infrastructure.
 */

/** What the load meant an order to do, and so which final states are right for it. */
export type Intent =
  | 'confirm' // stock enough, served country: CONFIRMED
  | 'reject' // more units than the product will ever have: REJECTED
  | 'fail' // a country shipping does not serve: FAILED
  | 'cancel'; // a valid order the load cancels soon after: CANCELLED, or the state it reached if the cancel came too late

export interface OrderLine {
  sku: string;
  quantity: number;
}

/** One POST /orders the load sent. */
export interface PlacedOrder {
  /** The id from the 202's body; for a request without an answer, null (its Idempotency-Key finds it, if it exists). */
  orderId: string | null;
  idempotencyKey: string;
  intent: Intent;
  lines: OrderLine[];
  /** 202 received: the order must exist and end final. Otherwise the outcome is unknown (timeout, 503, reset): it may exist. */
  acked: boolean;
  /** For intent 'cancel': the status code of POST /orders/:id/cancel (null: no answer, or never sent). */
  cancelStatus?: number | null;
  placedAt: number;
}

export interface OrderRow {
  id: string;
  status: string;
  lines: OrderLine[];
  statusReason: string | null;
  /** orders.shipment.status when the order has a shipment. */
  shipmentStatus: string | null;
  /** orders.shipment.shipmentId: the shipment the order recorded (checked against shipping's when given). */
  shipmentId?: string | null;
}

export interface TimelineRow {
  /** bigserial: the order the rows were written in */
  id: number;
  orderId: string;
  eventId: string;
  type: string;
  status: string;
}

export interface ProductRow {
  sku: string;
  available: number;
  reserved: number;
  shipped: number;
  received: number;
}

export interface ReservationRow {
  orderId: string;
  status: string; // RESERVED | RELEASED | SHIPPED | REJECTED
  lines: OrderLine[];
  /** The shipment its units left with (null: not shipped, or shipped before inventory recorded it). */
  shipmentId?: string | null;
}

export interface ShipmentRow {
  id: string;
  orderId: string;
  status: string; // SCHEDULED | FAILED | CANCELLED
}

/** One record read back from an event topic (a redelivered event appears more than once with one id). */
export interface TopicEvent {
  topic: 'orders.events' | 'inventory.events' | 'shipping.events';
  partition: number;
  offset: string;
  key: string | null;
  /** The envelope's event id; null when the value was not a readable envelope. */
  eventId: string | null;
  type: string | null;
  orderId: string | null;
}

export interface Observation {
  placed: PlacedOrder[];
  /** Units of each product the run stocked before the load (its `received` at the start). */
  initialStock: Record<string, number>;
  /** Stock the run added during the load (none today; kept so that the checker's sum stays right if it does). */
  addedStock: Record<string, number>;
  orders: OrderRow[];
  timeline: TimelineRow[];
  products: ProductRow[];
  reservations: ReservationRow[];
  shipments: ShipmentRow[];
  events: TopicEvent[];
}

export interface Finding {
  kind: 'lost' | 'duplicated' | 'unfinished' | 'reordered' | 'not-conserved' | 'unexpected-outcome';
  orderId?: string;
  sku?: string;
  detail: string;
}

export interface Verdict {
  orders: number; // acked orders
  lost: number;
  duplicated: number;
  unfinished: number;
  reordered: number;
  conserved: boolean;
  /** Events read more than once from a topic with the same id (at-least-once delivery; not an error). */
  redelivered: number;
  /** Final statuses of acked orders. */
  outcomes: Record<string, number>;
  /** Orders whose final state is legal but not what their intent asked for (e.g. cancelled by the deadline). */
  unexpected: number;
  /** Every problem, for the report (capped by the caller when printed). */
  findings: Finding[];
}
