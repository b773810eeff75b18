import { decideShipment, ShipmentRequest } from './shipment';

const policy = { servedCountries: ['DE', 'FR'], carrier: 'DHL', deliveryDays: 3 };
const now = new Date('2026-01-01T00:00:00Z');
const request = (overrides: Partial<ShipmentRequest> = {}): ShipmentRequest => ({ orderId: 'o', country: 'DE', reserved: true, cancelled: false, ...overrides });

describe('shipment decision', () => {
  it('schedules once the destination is known and stock is reserved', () => {
    const decision = decideShipment(request(), false, policy, 'ship-1', now);
    expect(decision).toEqual({ kind: 'schedule', event: { shipmentId: 'ship-1', carrier: 'DHL', estimatedDelivery: '2026-01-04T00:00:00.000Z' } });
  });

  it('fails for a destination it does not serve', () => {
    expect(decideShipment(request({ country: 'US' }), false, policy, 's', now)).toEqual({ kind: 'fail', event: { reason: 'DESTINATION_NOT_SERVED', detail: 'DHL does not deliver to US' } });
  });

  it.each([
    ['the reservation has not arrived', request({ reserved: false })],
    ['the destination has not arrived', request({ country: null })],
    ['the order was cancelled', request({ cancelled: true })],
  ])('waits while %s', (_what, r) => {
    expect(decideShipment(r, false, policy, 's', now)).toEqual({ kind: 'wait' });
  });

  it('never makes a second shipment', () => {
    expect(decideShipment(request(), true, policy, 's', now)).toEqual({ kind: 'wait' });
  });
});
