import { nulCharacterPaths, nulCharacterResponse } from './validation';

describe('nulCharacterPaths', () => {
  it('names every string, nested or in an array, that holds the NUL character', () => {
    const body = { customerId: 'a\u0000', lines: [{ sku: 'ok' }, { sku: '\u0000' }], shippingAddress: { city: 'Berlin', note: null, n: 3 } };
    expect(nulCharacterPaths(body)).toEqual(['customerId', 'lines.1.sku']);
  });

  it('finds nothing in clean input, and names a key or a bare string that holds it', () => {
    expect(nulCharacterPaths({ a: 'x', b: [1, true, null], c: { d: 'y' } })).toEqual([]);
    expect(nulCharacterPaths(undefined)).toEqual([]);
    expect(nulCharacterPaths({ 'k\u0000': 1 })).toEqual(['(a key)']);
    expect(nulCharacterPaths('\u0000')).toEqual(['(body)']);
  });

  it('walks a deeply nested body without overflowing the stack, and skips raw buffers', () => {
    let deep: unknown = ['\u0000'];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nulCharacterPaths(deep)).toHaveLength(1);
    expect(nulCharacterPaths({ raw: Buffer.from([0, 0, 0]) })).toEqual([]);
  });

  it('answers in the shape of the validation errors', () => {
    expect(nulCharacterResponse(['customerId'])).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: ['customerId must not contain the NUL character (\\u0000)'],
    });
  });
});
