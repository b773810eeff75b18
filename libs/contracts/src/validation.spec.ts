import { randomUUID } from 'node:crypto';
import { EnvelopeError, parseEnvelope } from './validation';
import { OrderPlacedV1 } from './events/orders.events';

const valid = () => ({
  id: randomUUID(),
  type: 'OrderPlaced',
  version: 1,
  occurredAt: new Date().toISOString(),
  orderId: randomUUID(),
  correlationId: 'c-1',
  causationId: null,
  data: { customerId: 'c', lines: [{ sku: 'KB-001', quantity: 1 }], shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' } },
});

const codeOf = (raw: string) => {
  try {
    parseEnvelope(raw);
    return 'ok';
  } catch (err) {
    return (err as EnvelopeError).code;
  }
};

describe('parseEnvelope', () => {
  it('returns the envelope with data as an instance of the registered class', () => {
    const envelope = parseEnvelope(Buffer.from(JSON.stringify(valid())));
    expect(envelope.data).toBeInstanceOf(OrderPlacedV1);
    expect(envelope.type).toBe('OrderPlaced');
  });

  it.each([
    ['not JSON', 'NOT_JSON', 'nope'],
    ['a JSON array', 'BAD_ENVELOPE', '[1]'],
    ['a missing id', 'BAD_ENVELOPE', JSON.stringify({ ...valid(), id: undefined })],
    ['an orderId that is not a uuid', 'BAD_ENVELOPE', JSON.stringify({ ...valid(), orderId: '42' })],
    ['an unknown type', 'UNKNOWN_TYPE', JSON.stringify({ ...valid(), type: 'OrderTeleported' })],
    ['an unknown version', 'UNKNOWN_VERSION', JSON.stringify({ ...valid(), version: 2 })],
    ['data failing validation', 'INVALID_DATA', JSON.stringify({ ...valid(), data: { customerId: '', lines: [] } })],
  ])('rejects %s with %s', (_what, code, raw) => {
    expect(codeOf(raw)).toBe(code);
  });

  it('names every invalid field of the data, with its path', () => {
    const raw = JSON.stringify({ ...valid(), data: { customerId: 'c', lines: [{ sku: 'kb', quantity: 0 }], shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'Germany' } } });
    expect(() => parseEnvelope(raw)).toThrow(/lines\.0\.sku must be.*lines\.0\.quantity must not be less than 1.*shippingAddress\.country must be an ISO 3166-1 alpha-2 code/);
  });
});
