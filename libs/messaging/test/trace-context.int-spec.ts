import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Topics } from '@app/contracts';
import { readTopics, sharedInfra, uniqueTopicPrefix } from '@app/testing';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { disableTracing, enableTracing } from '../src/tracing/tracing';
import { createOutboxDb, createTopics, OutboxDb, sequenced, startRelay, uuids } from './harness';

/**
 * The trace context through the real outbox table and broker: the column the enqueue writes, the claim that
 * reads it, the header the relay sends. Tracing is off in this process unless a test turns it on (the
 * in-memory exporter of the SDK stands in for the services' exporter).
 */
describe('trace context in the outbox (real PostgreSQL, real Kafka)', () => {
  const { brokers } = sharedInfra();
  let db: OutboxDb;
  let relay: OutboxRelay | null = null;
  let prefix: string;

  beforeEach(async () => {
    prefix = uniqueTopicPrefix();
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
  });
  afterEach(async () => {
    await relay?.stop();
    relay = null;
    await db?.close();
  });

  const storedContext = () => db.dataSource.query('SELECT message_key AS key, trace_parent, trace_state FROM outbox ORDER BY id');
  const published = (expected: number) => readTopics(brokers, [`${prefix}${Topics.OrdersEvents}`], { expected, timeoutMs: 30_000 });

  it('tracing off: no trace context is stored with a row or sent with its message', async () => {
    const [key] = uuids(1);
    await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(key, 1)]));
    expect(await storedContext()).toEqual([{ key, trace_parent: null, trace_state: null }]);

    relay = startRelay(db.url, brokers, prefix);
    const [message] = await published(1);
    expect(message.key!.toString()).toBe(key);
    expect(Object.keys(message.headers!).sort()).toEqual(['correlation-id', 'event-id', 'event-type', 'event-version']);
  });

  describe('tracing on', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('test');

    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      enableTracing(tracer, () => provider.shutdown());
    });
    afterAll(async () => {
      disableTracing();
      propagation.disable();
      context.disable();
      await provider.shutdown();
    });

    it("stores the enqueuing span's context with the row; the relay sends it under a PRODUCER span of that parent; a row written outside any span goes out as it was", async () => {
      const [traced, untraced] = uuids(2);
      const request = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
      await context.with(trace.setSpan(context.active(), request), () => db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(traced, 1)])));
      request.end();
      await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(untraced, 2)]));
      const { traceId, spanId } = request.spanContext();
      expect(await storedContext()).toEqual([
        { key: traced, trace_parent: `00-${traceId}-${spanId}-01`, trace_state: null },
        { key: untraced, trace_parent: null, trace_state: null },
      ]);

      relay = startRelay(db.url, brokers, prefix);
      const messages = await published(2);
      const producers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
      expect(producers).toHaveLength(1);
      expect(producers[0].parentSpanContext?.spanId).toBe(spanId);
      expect(producers[0].spanContext().traceId).toBe(traceId);
      const header = (key: string) => messages.find((m) => m.key!.toString() === key)!.headers!.traceparent?.toString();
      expect(header(traced)).toBe(`00-${traceId}-${producers[0].spanContext().spanId}-01`);
      expect(header(untraced)).toBeUndefined();
    });
  });
});
