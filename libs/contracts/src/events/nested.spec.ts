import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { describeValidationErrors } from '../validation';
import { PlaceOrderRequest } from '../http/orders.dto';
import { registeredEventClasses } from './registry';

type Ctor = new () => object;

const address = { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' };
const line = { sku: 'KB-001', quantity: 1 };

/** A valid sample of every class that holds nested objects or arrays (events and HTTP bodies). */
const SAMPLES = new Map<Ctor, Record<string, unknown>>([
  [PlaceOrderRequest, { customerId: 'c', lines: [line], shippingAddress: address }],
  [registeredEventClasses().find((c) => c.type === 'OrderPlaced')!, { customerId: 'c', lines: [line], shippingAddress: address }],
  [registeredEventClasses().find((c) => c.type === 'StockReserved')!, { lines: [{ ...line, unitPriceCents: 100 }], totalCents: 100, currency: 'EUR' }],
  [registeredEventClasses().find((c) => c.type === 'StockRejected')!, { reasons: [{ sku: 'KB-001', reason: 'OUT_OF_STOCK', requested: 2, available: 1 }] }],
]);

/** The properties of a class that class-validator validates as nested, and whether each is an array. */
function nestedProperties(cls: Ctor): { property: string; each: boolean }[] {
  return getMetadataStorage()
    .getTargetValidationMetadatas(cls, '', false, false)
    .filter((m) => m.type === 'nestedValidation')
    .map((m) => ({ property: m.propertyName, each: m.each ?? false }));
}

function problems(cls: Ctor, value: Record<string, unknown>): string[] {
  const instance = plainToInstance(cls, value);
  return describeValidationErrors(validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

const WRONG_FOR_OBJECT: [string, unknown][] = [
  ['missing', undefined],
  ['null', null],
  ['an empty array', []],
  ['nested arrays', [[[]]]],
  ['an array holding the object', [address]],
  ['a string', 'x'],
];

const WRONG_FOR_ARRAY: [string, unknown][] = [
  ['missing', undefined],
  ['null', null],
  ['an empty array', []],
  ['an object', {}],
  ['an object keyed like an array', { 0: line }],
  ['an array of arrays', [[]]],
  ['an array holding null', [null]],
  ['an array holding a string', ['x']],
  ['a string', 'x'],
];

describe('nested objects and arrays of every event and HTTP body', () => {
  it('has a sample for every class with nested properties, and each sample is valid', () => {
    const withNested = [PlaceOrderRequest, ...registeredEventClasses()].filter((c) => nestedProperties(c).length > 0);
    expect(new Set(withNested)).toEqual(new Set(SAMPLES.keys()));
    for (const [cls, sample] of SAMPLES) expect(problems(cls, sample)).toEqual([]);
  });

  for (const [cls, sample] of SAMPLES) {
    for (const { property, each } of nestedProperties(cls)) {
      it.each(each ? WRONG_FOR_ARRAY : WRONG_FOR_OBJECT)(`${cls.name}.${property} refuses %s, naming the field`, (_what, wrong) => {
        const found = problems(cls, { ...sample, [property]: wrong });
        expect(found.length).toBeGreaterThan(0);
        expect(found.every((p) => p.startsWith(property))).toBe(true);
      });
    }
  }
});
