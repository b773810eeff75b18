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
}

/** Same SKU on several lines counts as one line with the summed quantity. */
export function mergeLines(lines: OrderLineData[]): OrderLineData[] {
  const bySku = new Map<string, number>();
  for (const l of lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  return [...bySku].map(([sku, quantity]) => Object.assign(new OrderLineData(), { sku, quantity }));
}

export type ReserveDecision = { ok: true; lines: ReservedLine[]; totalCents: number; currency: string } | { ok: false; reasons: StockRejectionData[] };

/** All lines or none: any unknown SKU or short line rejects the whole order. */
export function decideReservation(lines: OrderLineData[], stock: Map<string, ProductStock>): ReserveDecision {
  const merged = mergeLines(lines);
  const reasons: StockRejectionData[] = [];
  for (const line of merged) {
    const product = stock.get(line.sku);
    if (!product) reasons.push(Object.assign(new StockRejectionData(), { sku: line.sku, reason: 'UNKNOWN_SKU', requested: line.quantity, available: 0 }));
    else if (product.available < line.quantity) reasons.push(Object.assign(new StockRejectionData(), { sku: line.sku, reason: 'OUT_OF_STOCK', requested: line.quantity, available: product.available }));
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const reserved = merged.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceCents: stock.get(l.sku)!.priceCents }));
  return { ok: true, lines: reserved, totalCents: reserved.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0), currency: 'EUR' };
}

/** Where a reservation's units move on each saga step; null when the step does not apply. */
export function nextReservationStatus(current: ReservationStatus, step: 'release' | 'ship' | 'return'): ReservationStatus | null {
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
