import { randomUUID } from 'node:crypto';
import { CONFLICTING_FACT, DeadLetter } from '@app/contracts';
import { deadLetterStep, stillWaitsFor } from './dead-letter.decide';
import { OrderStatus } from './order';

const letter = (over: Partial<DeadLetter> = {}): DeadLetter => ({
  key: randomUUID(),
  consumer: 'inventory',
  errorCode: 'HANDLER_FAILED',
  errorMessage: 'new row for relation "reservations" violates check constraint',
  eventType: 'OrderPlaced',
  eventId: randomUUID(),
  ...over,
});

describe('deadLetterStep', () => {
  it.each([
    ['inventory', 'OrderPlaced', ['PENDING']],
    ['shipping', 'OrderPlaced', ['PENDING', 'RESERVED']],
    ['shipping', 'StockReserved', ['PENDING', 'RESERVED']],
    ['orders', 'StockReserved', ['PENDING']],
    ['orders', 'StockRejected', ['PENDING']],
    ['orders', 'ShipmentScheduled', ['PENDING', 'RESERVED']],
    ['orders', 'ShipmentFailed', ['PENDING', 'RESERVED']],
  ])('%s giving up on %s stops an order waiting in %j; the reason names the service, the event and the code, not the text', (consumer, eventType, waitsIn) => {
    const l = letter({ consumer, eventType });
    expect(deadLetterStep(l)).toEqual({
      stops: true,
      orderId: l.key,
      waitsIn,
      reason: `${consumer} could not process ${eventType} (HANDLER_FAILED); cancelled by the system`,
    });
  });

  it.each([
    ['inventory', 'OrderCancelled'],
    ['inventory', 'ShipmentScheduled'],
    ['shipping', 'OrderCancelled'],
    ['orders', 'ShipmentCancelled'],
    ['inventory', 'SomethingNew'],
    ['a-reporting-service', 'OrderPlaced'],
  ])('%s giving up on %s is not a step the order needs', (consumer, eventType) => {
    expect(deadLetterStep(letter({ consumer, eventType }))).toMatchObject({ stops: false });
  });

  it.each(['NOT_JSON', 'BAD_ENVELOPE', 'UNKNOWN_TYPE', 'UNKNOWN_VERSION', 'UNHANDLED_VERSION', 'INVALID_DATA'])(
    'a contract mismatch (%s: an upgrade or a rollback under way) is left to the deadline or a replay',
    (errorCode) => {
      expect(deadLetterStep(letter({ errorCode }))).toMatchObject({ stops: false });
    },
  );

  it('a conflicting fact (another shipment for the same order) leaves the order as it is', () => {
    expect(deadLetterStep(letter({ consumer: 'orders', eventType: 'StockReserved', errorCode: CONFLICTING_FACT }))).toMatchObject({ stops: false });
  });

  it('leaves alone a dead letter without an event type or an order id for a key', () => {
    expect(deadLetterStep(letter({ eventType: null }))).toMatchObject({ stops: false });
    expect(deadLetterStep(letter({ key: null }))).toEqual({ stops: false, why: 'its key null is not an order id' });
    expect(deadLetterStep(letter({ key: 'not-a-uuid' }))).toMatchObject({ stops: false });
  });

  it('keeps the reason within what OrderCancelled carries (500 characters) whatever the code', () => {
    const step = deadLetterStep(letter({ errorCode: 'X'.repeat(4000) }));
    expect(step.stops && step.reason.length).toBeLessThanOrEqual(500);
  });
});

describe('stillWaitsFor', () => {
  const order = (status: OrderStatus) => ({ id: 'o-1', status });
  const step = deadLetterStep(letter({ consumer: 'shipping', eventType: 'StockReserved' }));
  if (!step.stops) throw new Error('expected a step');

  it('an order still waiting for the step is cancelled', () => {
    expect(stillWaitsFor(step, order('PENDING'))).toBeNull();
    expect(stillWaitsFor(step, order('RESERVED'))).toBeNull();
  });

  it.each(['CONFIRMED', 'FAILED', 'REJECTED', 'CANCELLED'] as OrderStatus[])('an order that moved on to %s is left as it is', (status) => {
    expect(stillWaitsFor(step, order(status))).toBe(`order o-1 is ${status}, no longer waiting for that step`);
  });

  it('an order past the step (inventory reserved after a replay) is left as it is', () => {
    const reserve = deadLetterStep(letter({ consumer: 'inventory', eventType: 'OrderPlaced' }));
    expect(reserve.stops && stillWaitsFor(reserve, order('RESERVED'))).toBe('order o-1 is RESERVED, no longer waiting for that step');
  });
});
