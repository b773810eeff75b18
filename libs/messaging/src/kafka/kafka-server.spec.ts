import { eventIdOf } from './kafka-server';

describe('eventIdOf', () => {
  it("reads a message's event-id header, as a Buffer, a string or the first of several", () => {
    expect(eventIdOf({ headers: { 'event-id': Buffer.from('a1') } })).toEqual(['a1']);
    expect(eventIdOf({ headers: { 'event-id': 'b2' } })).toEqual(['b2']);
    expect(eventIdOf({ headers: { 'event-id': [Buffer.from('c3'), Buffer.from('d4')] } })).toEqual(['c3']);
  });

  it('gives nothing for a message without one, or with one sent without a value (kafkajs reads it as null)', () => {
    expect(eventIdOf({ headers: {} })).toEqual([]);
    expect(eventIdOf({})).toEqual([]);
    expect(eventIdOf({ headers: { 'event-id': null as unknown as Buffer } })).toEqual([]);
  });
});
