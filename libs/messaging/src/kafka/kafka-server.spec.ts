import { Server } from '@nestjs/microservices';
import { eventIdOf, PrefixedKafkaServer } from './kafka-server';
import { TopicNames } from './topic-names';

describe('eventIdOf', () => {
  it("reads a message's event-id header, as a Buffer, a string or the first of several", () => {
    const value = Buffer.from(JSON.stringify({ id: 'from-the-value' }));
    expect(eventIdOf({ headers: { 'event-id': Buffer.from('a1') }, value })).toEqual(['a1']);
    expect(eventIdOf({ headers: { 'event-id': 'b2' }, value })).toEqual(['b2']);
    expect(eventIdOf({ headers: { 'event-id': [Buffer.from('c3'), Buffer.from('d4')] }, value })).toEqual(['c3']);
  });

  it("falls back to the envelope's id for a message without one, or with one sent without a value (kafkajs reads it as null)", () => {
    const value = Buffer.from(JSON.stringify({ id: 'e5', type: 'OrderCancelled' }));
    expect(eventIdOf({ headers: {}, value })).toEqual(['e5']);
    expect(eventIdOf({ value })).toEqual(['e5']);
    expect(eventIdOf({ headers: { 'event-id': null as unknown as Buffer }, value })).toEqual(['e5']);
  });

  it('gives nothing when neither a header nor an envelope id can be read', () => {
    for (const value of [null, Buffer.from('not JSON'), Buffer.from('null'), Buffer.from('[1]'), Buffer.from('{"id":7}')]) {
      expect(eventIdOf({ headers: {}, value })).toEqual([]);
    }
  });
});

describe('PrefixedKafkaServer routes', () => {
  afterEach(() => jest.restoreAllMocks());

  it("gives Nest's route for a pattern, working it out once per pattern (Nest's JSON.parse throws for a topic name)", () => {
    type Routing = { getRouteFromPattern(pattern: string): string };
    const server = new PrefixedKafkaServer({}, new TopicNames('')) as unknown as Routing;
    const base = (Server.prototype as unknown as Routing).getRouteFromPattern;
    const expected = ['orders.events', '{"cmd":"sum"}'].map((p) => base.call(new PrefixedKafkaServer({}, new TopicNames('')), p));
    const spy = jest.spyOn(Server.prototype as unknown as Routing, 'getRouteFromPattern');

    for (let i = 0; i < 3; i++) {
      expect(server.getRouteFromPattern('orders.events')).toBe(expected[0]);
      expect(server.getRouteFromPattern('{"cmd":"sum"}')).toBe(expected[1]);
    }
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
