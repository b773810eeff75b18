import { kafkaProblem, kafkaUsable } from './kafka-health';
import { eventIdOf } from './inbound-message';
import { PrefixedKafkaServer } from './kafka-server';
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

describe('PrefixedKafkaServer consumer state', () => {
  /** A kafkajs client whose consumers connect as told (one answer per consumer) and report what the test emits. */
  function fakeClient(connects: Array<'ok' | Error>, { disconnectHangs = false } = {}) {
    const consumers: Array<{ emit(event: string, payload?: unknown): void }> = [];
    let producers = 0;
    const events = { CONNECT: 'connect', DISCONNECT: 'disconnect', STOP: 'stop', CRASH: 'crash', REBALANCING: 'rebalancing', GROUP_JOIN: 'group_join' };
    const client = {
      consumer: () => {
        const listeners = new Map<string, Array<(e: unknown) => void>>();
        const answer = connects.shift() ?? 'ok';
        const consumer = {
          events,
          on: (event: string, fn: (e: unknown) => void) => listeners.set(event, [...(listeners.get(event) ?? []), fn]),
          emit: (event: string, payload: unknown = {}) => listeners.get(event)?.forEach((fn) => fn({ payload })),
          connect: async () => {
            if (answer !== 'ok') throw answer;
            consumer.emit(events.CONNECT);
          },
          // kafkajs' disconnect waits for the requests in flight: a JoinGroup waiting for a dead member's session
          disconnect: () => (disconnectHangs ? new Promise<void>(() => {}) : Promise.resolve(consumer.emit(events.DISCONNECT))),
          subscribe: async () => {},
          run: async () => {},
        };
        consumers.push(consumer);
        return consumer;
      },
      producer: () => {
        producers++;
        return { events, on: () => {}, connect: async () => {}, disconnect: async () => {} };
      },
    };
    return { client, consumers, producers: () => producers };
  }

  function serverWith(client: unknown): PrefixedKafkaServer {
    const server = new PrefixedKafkaServer({ consumer: { groupId: 'g' } }, new TopicNames(''));
    jest.spyOn(server as unknown as { createClient(): unknown }, 'createClient').mockReturnValue(client);
    (server as unknown as { logger: { error(): void; warn(): void } }).logger = { error: () => {}, warn: () => {} };
    return server;
  }

  const probe = (server: PrefixedKafkaServer) => ({ brokerReachable: true, consumer: server.state, consumerError: server.lastError ?? undefined });

  afterEach(() => jest.useRealTimers());

  it('is joining (readiness down) from its connect until it has joined its group', async () => {
    const { client, consumers, producers } = fakeClient(['ok']);
    const server = serverWith(client);
    expect(server.state).toBe('starting');
    await new Promise<void>((resolve, reject) => void server.listen((err) => (err ? reject(err) : resolve())));
    expect(server.state).toBe('joining');
    expect(producers()).toBe(0); // no reply producer: nothing here answers request-response patterns
    expect(kafkaUsable(probe(server))).toBe(false);
    expect(kafkaProblem(probe(server))).toMatch(/not joined its group yet/);

    consumers[0].emit('group_join');
    expect(server.state).toBe('connected');
    expect(kafkaUsable(probe(server))).toBe(true);
    consumers[0].emit('rebalancing');
    expect(kafkaUsable(probe(server))).toBe(true); // every member rebalances at once: not a reason to leave the rotation
    await server.close();
    expect(server.state).toBe('disconnected');
  });

  it('reports a start that failed to its caller, says why in readiness, and starts a new consumer after a backoff', async () => {
    jest.useFakeTimers();
    const { client, consumers } = fakeClient([new Error('Connection error: ECONNREFUSED'), 'ok']);
    const server = serverWith(client);
    const started = new Promise<unknown>((resolve) => void server.listen((err) => resolve(err)));
    expect(((await started) as Error).message).toBe('Connection error: ECONNREFUSED');
    expect(server.state).toBe('crashed');
    expect(kafkaUsable(probe(server))).toBe(false);
    expect(kafkaProblem(probe(server))).toBe('the consumer crashed (Connection error: ECONNREFUSED); a new one is being started');

    await jest.advanceTimersByTimeAsync(500);
    expect(consumers).toHaveLength(2);
    expect(server.state).toBe('joining');
    consumers[1].emit('group_join');
    expect([server.state, server.lastError]).toEqual(['connected', null]);
    await server.close();
  });

  it('closes within a second while its consumer is still joining (its disconnect would wait for the join)', async () => {
    jest.useFakeTimers();
    const { client } = fakeClient(['ok'], { disconnectHangs: true });
    const server = serverWith(client);
    await new Promise<void>((resolve, reject) => void server.listen((err) => (err ? reject(err) : resolve())));
    expect(server.state).toBe('joining');
    let closed = false;
    void server.close().then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(closed).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);
  });

  it('does not report a start cut short by close() as a failure, nor start another consumer', async () => {
    jest.useFakeTimers();
    const { client, consumers } = fakeClient([new Error('closed while connecting')]);
    const server = serverWith(client);
    const closing = server.close();
    const started = new Promise<unknown>((resolve) => void server.listen((err) => resolve(err ?? 'no error')));
    await closing;
    expect(await started).toBe('no error');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(1);
  });
});
