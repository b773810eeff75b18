import { Server } from '@nestjs/microservices';
import { eventIdOf, PrefixedKafkaServer } from './kafka-server';
import { TopicNames } from './topic-names';

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
