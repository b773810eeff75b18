import { randomUUID } from 'node:crypto';
import { DeadLetter } from '@app/contracts';
import { decideOnDeadLetter } from './dead-letter.decide';

const letter = (over: Partial<DeadLetter> = {}): DeadLetter => ({
  key: randomUUID(),
  consumer: 'inventory',
  errorCode: 'HANDLER_FAILED',
  errorMessage: 'new row violates check constraint',
  eventType: 'OrderPlaced',
  eventId: randomUUID(),
  ...over,
});

describe('decideOnDeadLetter', () => {
  it.each([
    ['inventory', 'OrderPlaced'],
    ['shipping', 'OrderPlaced'],
    ['shipping', 'StockReserved'],
    ['orders', 'StockReserved'],
    ['orders', 'StockRejected'],
    ['orders', 'ShipmentScheduled'],
    ['orders', 'ShipmentFailed'],
  ])('%s giving up on %s stops the order: it is cancelled, naming the service and its error', (consumer, eventType) => {
    expect(decideOnDeadLetter(letter({ consumer, eventType }))).toEqual({
      cancel: true,
      reason: `${consumer} could not apply ${eventType} (HANDLER_FAILED: new row violates check constraint); cancelled by the system`,
    });
  });

  it.each([
    ['inventory', 'OrderCancelled'],
    ['inventory', 'ShipmentScheduled'],
    ['shipping', 'OrderCancelled'],
    ['orders', 'ShipmentCancelled'],
    ['inventory', 'SomethingNew'],
    ['a-reporting-service', 'OrderPlaced'],
  ])('%s giving up on %s leaves the order as it is', (consumer, eventType) => {
    expect(decideOnDeadLetter(letter({ consumer, eventType }))).toMatchObject({ cancel: false });
  });

  it('leaves alone a dead letter without an event type or an order id for a key', () => {
    expect(decideOnDeadLetter(letter({ eventType: null }))).toMatchObject({ cancel: false });
    expect(decideOnDeadLetter(letter({ key: null }))).toMatchObject({ cancel: false, why: 'its key null is not an order id' });
    expect(decideOnDeadLetter(letter({ key: 'not-a-uuid' }))).toMatchObject({ cancel: false });
  });

  it('keeps the reason within what OrderCancelled carries (500 characters), its end intact', () => {
    const decision = decideOnDeadLetter(letter({ errorMessage: 'x'.repeat(4000) }));
    expect(decision.cancel && decision.reason.length).toBe(500);
    expect(decision.cancel && decision.reason.endsWith('); cancelled by the system')).toBe(true);
  });
});
