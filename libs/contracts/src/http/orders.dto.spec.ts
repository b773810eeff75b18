import { getMetadataStorage } from 'class-validator';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { OrderPlacedV1 } from '../events/orders.events';
import { PlaceOrderRequest } from './orders.dto';

// class-transformer keeps its @Type metadata here and exports no reader for it
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

type Ctor = new () => object;

/** Every class-validator rule on the class, in a comparable form (messages aside: they do not change what passes). */
function rules(target: Ctor): string[] {
  return getMetadataStorage()
    .getTargetValidationMetadatas(target, '', false, false)
    .map((m) => JSON.stringify([m.propertyName, m.type, m.name ?? null, m.constraints ?? null, m.each ?? false]))
    .sort();
}

/** The class each nested property is built as (`@Type`). */
function nestedTypes(target: Ctor): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const property of ['customerId', 'lines', 'shippingAddress']) {
    const meta = defaultMetadataStorage.findTypeMetadata(target, property);
    found[property] = meta ? meta.typeFunction() : null;
  }
  return found;
}

// The outbox does not check an OrderPlaced built from a validated POST /orders body again (see
// OrderIntake): that is only sound while the body's rules are the event's, rule for rule.
describe('PlaceOrderRequest and OrderPlacedV1', () => {
  it('carry the same validation rules, so a valid body always makes a valid event', () => {
    const request = rules(PlaceOrderRequest);
    expect(request.length).toBeGreaterThan(5);
    expect(request).toEqual(rules(OrderPlacedV1));
  });

  it('build their nested lines and address as the same classes', () => {
    const request = nestedTypes(PlaceOrderRequest);
    expect(request.lines).toBeDefined();
    expect(request.shippingAddress).toBeDefined();
    expect(request).toEqual(nestedTypes(OrderPlacedV1));
  });
});
