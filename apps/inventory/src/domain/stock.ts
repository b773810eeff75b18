import { OrderLineData, StockRejectionData } from '@app/contracts';

/** Stock of one product. Invariant: received = available + reserved + shipped. */
export interface ProductStock {
  sku: string;
  priceCents: number;
  currency: string;
  available: number;
  reserved: number;
  shipped: number;
}

/** REJECTED holds nothing: it records that the order was decided, so the same OrderPlaced again reserves nothing. */
export type ReservationStatus = 'RESERVED' | 'RELEASED' | 'SHIPPED' | 'REJECTED';

export interface ReservedLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

/** An order's reservation: the units it holds and where they stand. */
export interface Reservation {
  orderId: string;
  status: ReservationStatus;
  lines: ReservedLine[];
  totalCents: number;
  /** The shipment its units left with (null: not shipped, or shipped before this was recorded). */
  shipmentId?: string | null;
}

/** Same SKU on several lines counts as one line with the summed quantity. */
export function mergeLines(lines: OrderLineData[]): OrderLineData[] {
  const bySku = new Map<string, number>();
  for (const l of lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  return [...bySku].map(([sku, quantity]) => Object.assign(new OrderLineData(), { sku, quantity }));
}

/**
 * The dead-letter code of an order whose products are priced in more than one currency. StockRejected cannot
 * say so: its reasons (STOCK_REJECTION_REASONS) are the customer's, and a new one would be refused by every
 * orders service that does not know it yet (INVALID_DATA), so it would take a StockRejectedV2. Today it cannot
 * happen: a product's currency is one of CURRENCIES, which holds only EUR. Should a second currency be added,
 * keep the catalogue in one currency, or add that version; until then such an order's OrderPlaced is
 * dead-lettered under this code, and orders cancels the order (CANCEL_ON_DEAD_LETTER) with a reason naming it.
 */
export const MIXED_CURRENCIES = 'MIXED_CURRENCIES';

export type ReserveDecision =
  /** Every line, at its product's price and in the products' one currency; the stock moves by `deltas`. */
  | { kind: 'reserve'; lines: ReservedLine[]; totalCents: number; currency: string; deltas: StockDelta[] }
  /** Some line cannot be had (StockRejected): nothing is reserved. */
  | { kind: 'reject'; reasons: StockRejectionData[] }
  /** The catalogue cannot price the order in one currency: no answer StockRejected can give (see MIXED_CURRENCIES). */
  | { kind: 'refuse'; code: typeof MIXED_CURRENCIES; why: string };

/**
 * All lines or none: any unknown SKU or short line rejects the whole order. The order is priced in its
 * products' currency, which all of them must share.
 */
export function decideReservation(lines: OrderLineData[], stock: Map<string, ProductStock>): ReserveDecision {
  const merged = mergeLines(lines);
  const reasons: StockRejectionData[] = [];
  for (const line of merged) {
    const product = stock.get(line.sku);
    if (!product) reasons.push(Object.assign(new StockRejectionData(), { sku: line.sku, reason: 'UNKNOWN_SKU', requested: line.quantity, available: 0 }));
    else if (product.available < line.quantity) reasons.push(Object.assign(new StockRejectionData(), { sku: line.sku, reason: 'OUT_OF_STOCK', requested: line.quantity, available: product.available }));
  }
  if (reasons.length > 0) return { kind: 'reject', reasons };
  const products = merged.map((l) => stock.get(l.sku)!);
  const currencies = [...new Set(products.map((p) => p.currency))];
  if (currencies.length > 1) {
    const priced = products.map((p) => `${p.sku} in ${p.currency}`).join(', ');
    return {
      kind: 'refuse',
      code: MIXED_CURRENCIES,
      why: `the order's products are priced in ${currencies.join(' and ')} (${priced}); an order is reserved in one currency`,
    };
  }
  const reserved = merged.map((l, i) => ({ sku: l.sku, quantity: l.quantity, unitPriceCents: products[i].priceCents }));
  return {
    kind: 'reserve',
    lines: reserved,
    totalCents: reserved.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
    currency: currencies[0],
    deltas: stockDeltas('reserve', reserved),
  };
}

/** How one product's counters change: added to available, reserved and shipped (a move sums to 0). */
export interface StockDelta {
  sku: string;
  available: number;
  reserved: number;
  shipped: number;
}

/** The saga's steps after a reservation: its units back to available, out as shipped, or shipped ones back. */
export type ReservationStep = 'release' | 'ship' | 'return';

/** Where one unit goes on each move. */
const UNIT_MOVES: Readonly<Record<'reserve' | ReservationStep, Omit<StockDelta, 'sku'>>> = {
  reserve: { available: -1, reserved: 1, shipped: 0 }, // available -> reserved
  release: { available: 1, reserved: -1, shipped: 0 }, // reserved -> available
  ship: { available: 0, reserved: -1, shipped: 1 }, // reserved -> shipped
  return: { available: 1, reserved: 0, shipped: -1 }, // shipped -> available
};

/** What moving these lines' units does to their products' counters, per SKU. */
export function stockDeltas(move: 'reserve' | ReservationStep, lines: readonly ReservedLine[]): StockDelta[] {
  const unit = UNIT_MOVES[move];
  return lines.map((l) => ({ sku: l.sku, available: unit.available * l.quantity, reserved: unit.reserved * l.quantity, shipped: unit.shipped * l.quantity }));
}

/**
 * A saga step on a reservation: its new status and how its products' counters move; null when the step does
 * not apply (late or repeated: the reservation has already moved on).
 */
export function decideStep(
  reservation: Pick<Reservation, 'status' | 'lines'>,
  step: ReservationStep,
): { status: ReservationStatus; deltas: StockDelta[] } | null {
  const status = nextReservationStatus(reservation.status, step);
  return status && { status, deltas: stockDeltas(step, reservation.lines) };
}

/**
 * Why a shipping event contradicts the reservation, or null: its units left with one shipment, and an event
 * of another shipment (a re-send with another id) must move none of them.
 */
export function shipmentConflict(reservation: Pick<Reservation, 'orderId' | 'shipmentId'>, shipmentId: string | undefined): string | null {
  if (!shipmentId || !reservation.shipmentId || reservation.shipmentId === shipmentId) return null;
  return `order ${reservation.orderId}: its units left with shipment ${reservation.shipmentId}, this event is of shipment ${shipmentId}`;
}

/** Where a reservation's units move on each saga step; null when the step does not apply. */
export function nextReservationStatus(current: ReservationStatus, step: ReservationStep): ReservationStatus | null {
  switch (step) {
    case 'release':
      return current === 'RESERVED' ? 'RELEASED' : null;
    case 'ship':
      return current === 'RESERVED' ? 'SHIPPED' : null;
    case 'return':
      return current === 'SHIPPED' ? 'RELEASED' : null;
    default: {
      const unreachable: never = step;
      throw new Error(`unknown step ${unreachable}`);
    }
  }
}
