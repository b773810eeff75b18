import { ShipmentFailedV1, ShipmentScheduledV1 } from '@app/contracts';

export type ShipmentStatus = 'SCHEDULED' | 'FAILED' | 'CANCELLED';

/**
 * What shipping knows of an order before it ships: the destination (from OrderPlaced), whether
 * stock is reserved (StockReserved) and whether it was cancelled (OrderCancelled). The events come
 * from two topics, so they may arrive in any order; the decision is made once all facts are in.
 */
export interface ShipmentRequest {
  orderId: string;
  country: string | null;
  reserved: boolean;
  cancelled: boolean;
}

export interface ShippingPolicy {
  servedCountries: readonly string[];
  carrier: string;
  deliveryDays: number;
}

export type ShipmentDecision =
  | { kind: 'wait' }
  | { kind: 'schedule'; event: ShipmentScheduledV1 }
  | { kind: 'fail'; event: ShipmentFailedV1 };

export function decideShipment(request: ShipmentRequest, hasShipment: boolean, policy: ShippingPolicy, shipmentId: string, now: Date): ShipmentDecision {
  if (hasShipment || request.cancelled || !request.reserved || !request.country) return { kind: 'wait' };
  if (!policy.servedCountries.includes(request.country)) {
    return {
      kind: 'fail',
      event: Object.assign(new ShipmentFailedV1(), { reason: 'DESTINATION_NOT_SERVED', detail: `${policy.carrier} does not deliver to ${request.country}` }),
    };
  }
  const estimatedDelivery = new Date(now.getTime() + policy.deliveryDays * 86_400_000).toISOString();
  return { kind: 'schedule', event: Object.assign(new ShipmentScheduledV1(), { shipmentId, carrier: policy.carrier, estimatedDelivery }) };
}
