import { randomUUID } from 'node:crypto';
import { CONFLICTING_FACT, DeadLetter } from '@app/contracts';
import { given } from '@app/testing/given-when-then';
import { deadLetterStep } from './dead-letter.decide';
import { OrderStatus } from './order';
import { decideCancel } from './order.decide';
import { anOrder } from '../../test/order.fixtures';

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

describe("the dead letter's cancel: only while the locked order still waits for the step", () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const order = (status: OrderStatus) => anOrder({ id: 'o-1', status });
  const stop = (consumer: string, eventType: string) => {
    const step = deadLetterStep(letter({ consumer, eventType }));
    if (!step.stops) throw new Error('expected a step');
    return step;
  };
  const step = stop('shipping', 'StockReserved');

  it.each(['PENDING', 'RESERVED'] as OrderStatus[])('given an order %s, waiting for the step, then it is cancelled with the reason', (status) => {
    given(order(status))
      .when((o) => decideCancel(o, step.reason, now, step.waitsIn))
      .then({ ok: true, order: { status: 'CANCELLED', statusReason: step.reason }, event: { reason: step.reason } });
  });

  it.each(['CONFIRMED', 'FAILED', 'REJECTED', 'CANCELLED'] as OrderStatus[])('given an order that moved on to %s, then it is left as it is', (status) => {
    given(order(status))
      .when((o) => decideCancel(o, step.reason, now, step.waitsIn))
      .then({ ok: false, reason: `order o-1 is ${status}, no longer waiting for that step` });
  });

  it('given an order past the step (inventory reserved after a replay), then it is left as it is', () => {
    const reserve = stop('inventory', 'OrderPlaced');
    given(order('RESERVED'))
      .when((o) => decideCancel(o, reserve.reason, now, reserve.waitsIn))
      .then({ ok: false, reason: 'order o-1 is RESERVED, no longer waiting for that step' });
  });
});
