import { randomUUID } from 'node:crypto';
import { DeadLetterHeaders, EventHeaders, readDeadLetter } from './envelope';

describe('readDeadLetter', () => {
  it("reads the dead-letter topic's headers as Kafka hands them over (Buffers)", () => {
    const key = randomUUID();
    const headers = {
      [DeadLetterHeaders.Consumer]: Buffer.from('shipping'),
      [DeadLetterHeaders.ErrorCode]: Buffer.from('UNKNOWN_VERSION'),
      [DeadLetterHeaders.ErrorMessage]: Buffer.from('StockReserved version 9 is not supported by this consumer'),
      [EventHeaders.EventType]: Buffer.from('StockReserved'),
      [EventHeaders.EventId]: [Buffer.from('e-1'), Buffer.from('e-2')],
    };
    expect(readDeadLetter(Buffer.from(key), headers)).toEqual({
      key,
      consumer: 'shipping',
      errorCode: 'UNKNOWN_VERSION',
      errorMessage: 'StockReserved version 9 is not supported by this consumer',
      eventType: 'StockReserved',
      eventId: 'e-1',
    });
  });

  it('reads what is missing as unknown, and the original key from its header when the message has none', () => {
    const key = randomUUID();
    expect(readDeadLetter(null, { [DeadLetterHeaders.OriginalKey]: key })).toEqual({
      key,
      consumer: 'a consumer',
      errorCode: 'UNKNOWN',
      errorMessage: 'no reason given',
      eventType: null,
      eventId: null,
    });
    expect(readDeadLetter(undefined, undefined).key).toBeNull();
  });
});
