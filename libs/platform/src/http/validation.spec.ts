import { unstorableTextProblems, unstorableTextResponse } from './validation';

const NUL = 'must not contain the NUL character (\\u0000)';
const SURROGATE = 'must be well-formed Unicode text (it holds a lone UTF-16 surrogate, one of \\ud800-\\udfff)';

describe('unstorableTextProblems', () => {
  it('names every string, nested or in an array, that holds the NUL character', () => {
    const body = { customerId: 'a\u0000', lines: [{ sku: 'ok' }, { sku: '\u0000' }], shippingAddress: { city: 'Berlin', note: null, n: 3 } };
    expect(unstorableTextProblems(body)).toEqual([`customerId ${NUL}`, `lines.1.sku ${NUL}`]);
  });

  it('names a string with half of a surrogate pair, and passes whole pairs (emoji) and other text', () => {
    const body = { name: 'Zo\ud800e', line1: 'x\udc00', city: 'K\u00f6ln \ud83d\ude00', postalCode: '\ud83d', country: '\ude00\ud83d' };
    expect(unstorableTextProblems(body)).toEqual([`country ${SURROGATE}`, `line1 ${SURROGATE}`, `name ${SURROGATE}`, `postalCode ${SURROGATE}`]);
    expect(unstorableTextProblems({ city: 'K\u00f6ln \ud83d\ude00', name: '\u4e2d\u6587' })).toEqual([]);
  });

  it('finds nothing in clean input, and names a key or a bare string that holds it', () => {
    expect(unstorableTextProblems({ a: 'x', b: [1, true, null], c: { d: 'y' } })).toEqual([]);
    expect(unstorableTextProblems(undefined)).toEqual([]);
    expect(unstorableTextProblems({ 'k\u0000': 1 })).toEqual([`(a key) ${NUL}`]);
    expect(unstorableTextProblems({ a: { '\ud800': 1 } })).toEqual([`a.(a key) ${SURROGATE}`]);
    expect(unstorableTextProblems('\u0000')).toEqual([`(body) ${NUL}`]);
  });

  it('walks a deeply nested body without overflowing the stack, and skips raw buffers', () => {
    let deep: unknown = ['\u0000'];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unstorableTextProblems(deep)).toHaveLength(1);
    expect(unstorableTextProblems({ raw: Buffer.from([0, 0, 0]) })).toEqual([]);
  });

  it('answers in the shape of the validation errors', () => {
    expect(unstorableTextResponse([`customerId ${NUL}`])).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: ['customerId must not contain the NUL character (\\u0000)'],
    });
  });
});
