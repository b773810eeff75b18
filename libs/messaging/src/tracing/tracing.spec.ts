import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { IHeaders, Kafka, Message, ProducerBatch, ProducerConfig } from 'kafkajs';
import { OrderCancelledV1 } from '@app/contracts';
import { fakeTransaction } from '@app/testing/fake-transaction';
import { MessagingOptions } from '../messaging.options';
import { TopicNames } from '../kafka/topic-names';
import { Outbox } from '../outbox/outbox.service';
import { ENQUEUE_SQL, ENQUEUE_TRACED_SQL } from '../outbox/outbox.sql';
import { KafkaRelayPublisher, OutboxRow } from '../relay/publisher';
import { claimSql } from '../relay/outbox-drain';
import {
  captureTraceContext,
  ConsumeSpan,
  currentTraceId,
  disableTracing,
  enableTracing,
  storedTraceContext,
  tracingEnabled,
  withTraceContext,
} from './tracing';

/*
 * The plumbing that carries an order's trace across the outbox and Kafka, with the SDK's in-memory exporter:
 * the outbox stores the context an event was enqueued in, the relay sends each row in a PRODUCER span that is
 * a child of it and whose traceparent the message carries, and a consumer's CONSUMER span continues that one,
 * with the handler (and the rows it enqueues) in its context. The real services, broker and exporter are in
 * test/tracing.e2e-spec.ts.
 */

/** A Kafka whose producers answer every send as acknowledged (partition 0), recording the messages. */
function recordingKafka() {
  const sent: { topic: string; message: Message }[] = [];
  const kafka = {
    producer(config: ProducerConfig) {
      const partition = config.createPartitioner!();
      return {
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: async ({ topicMessages }: ProducerBatch) =>
          topicMessages!.flatMap(({ topic, messages }) =>
            messages.map((message) => {
              sent.push({ topic, message });
              const chosen = partition({ topic, message, partitionMetadata: [{ partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }] });
              return { topicName: topic, partition: chosen, errorCode: 0 };
            }),
          ),
      };
    },
  } as unknown as Kafka;
  return { kafka, sent };
}

const outbox = new Outbox({} as MessagingOptions, { notifyOtherRelays: () => false });
const cancelled = (orderId: string) => ({ data: Object.assign(new OrderCancelledV1(), { reason: 'customer' }), orderId, correlationId: 'c-1' });

/** What the relay claims: the rows as the enqueue statement wrote them (traced: with $10 and $11). */
function claimed(params: unknown[], traced: boolean): OutboxRow[] {
  const [ids, topics, keys, , payloads, headers] = params as string[][];
  return ids.map((id, i) => ({
    id: String(i + 1),
    topic: topics[i],
    key: keys[i],
    payload: payloads[i],
    headers: JSON.parse(headers[i]),
    ...(traced ? { traceParent: (params[9] as (string | null)[])[i], traceState: (params[10] as (string | null)[])[i] } : {}),
  }));
}

/** A message as kafkajs hands it to the consumer: header values are Buffers. */
function fetched(sent: { topic: string; message: Message }) {
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(sent.message.headers ?? {})) headers[k] = Buffer.from(String(v));
  return { topic: 'orders.events', partition: 0, offset: '7', key: Buffer.from(String(sent.message.key)), headers };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing off (the default)', () => {
  it('stores and sends no trace context and starts no span', async () => {
    expect(tracingEnabled()).toBe(false);
    const { tx, statements } = fakeTransaction();
    await outbox.enqueue(tx, [cancelled(randomUUID())]);
    expect(statements[0].sql).toContain(ENQUEUE_SQL);
    expect(statements[0].params).toHaveLength(9);
    expect(claimSql({ lanes: 16, batchSize: 10 }, new Set([1]), false)).not.toContain('trace_parent');

    const { kafka, sent } = recordingKafka();
    const publisher = new KafkaRelayPublisher(kafka, new TopicNames(''));
    await publisher.connect();
    const rows = claimed(statements[0].params, false);
    await publisher.publish(rows);
    expect(sent[0].message.headers).toBe(rows[0].headers); // the row's own headers, as they were stored
    expect(Object.keys(sent[0].message.headers!)).not.toContain('traceparent');

    expect(ConsumeSpan.start(fetched(sent[0]), 'inventory')).toBeNull();
    expect(currentTraceId()).toBeUndefined();
    expect(captureTraceContext()).toBeUndefined();
    expect(withTraceContext(undefined, () => 42)).toBe(42);
  });
});

describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    enableTracing(tracer, () => provider.shutdown());
  });
  afterAll(async () => {
    disableTracing();
    trace.disable();
    propagation.disable();
    context.disable();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  it('carries one trace across a hop: enqueue → relay PRODUCER span → CONSUMER span → the rows its handler enqueues', async () => {
    const orderId = randomUUID();
    const { tx, statements } = fakeTransaction();
    // the request's span writes the event (the outbox reads the active context)
    const request = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(context.active(), request), () => outbox.enqueue(tx, [cancelled(orderId)]));
    request.end();
    expect(statements[0].sql).toContain(ENQUEUE_TRACED_SQL);
    const stored = (statements[0].params[9] as string[])[0];
    expect(stored).toBe(`00-${request.spanContext().traceId}-${request.spanContext().spanId}-01`);

    // the relay sends it in a PRODUCER span, child of the stored context; the message carries that span
    const { kafka, sent } = recordingKafka();
    const publisher = new KafkaRelayPublisher(kafka, new TopicNames('test.'));
    await publisher.connect();
    await publisher.publish(claimed(statements[0].params, true));
    const producer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(producer.name).toBe('send orders.events');
    expect(parentOf(producer)).toBe(request.spanContext().spanId);
    expect(producer.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': 'orders.events', 'order.id': orderId });
    expect(sent[0].topic).toBe('test.orders.events');
    expect(sent[0].message.headers!.traceparent).toBe(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);
    expect(sent[0].message.headers!['event-type']).toBe('OrderCancelled'); // the stored headers go along

    // the consumer continues it; what its handler enqueues is stored with the CONSUMER span's context
    const consume = ConsumeSpan.start(fetched(sent[0]), 'inventory')!;
    const next = fakeTransaction();
    const seenInside = await consume.run(async () => {
      await new Promise((r) => setImmediate(r)); // across an await, as a handler's statements are
      await outbox.enqueue(next.tx, [cancelled(orderId)]);
      return currentTraceId();
    });
    consume.end('applied');
    const consumer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(consumer.name).toBe('process orders.events');
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(consumer.attributes).toMatchObject({
      'consumer.outcome': 'applied',
      'messaging.consumer.group.name': 'inventory',
      'order.id': orderId,
      'event.type': 'OrderCancelled',
    });
    expect(seenInside).toBe(request.spanContext().traceId);
    expect((next.statements[0].params[9] as string[])[0]).toBe(`00-${consumer.spanContext().traceId}-${consumer.spanContext().spanId}-01`);
  });

  it("stores each event's own context when one transaction writes several requests' events (the intake's group commit)", async () => {
    const [a, b] = ['POST /orders a', 'POST /orders b'].map((name) => tracer.startSpan(name));
    const captured = [a, b].map((span) => context.with(trace.setSpan(context.active(), span), () => captureTraceContext()));
    const { tx, statements } = fakeTransaction();
    // the transaction runs in a's context, b's event keeps b's
    await withTraceContext(captured[0], () =>
      outbox.enqueue(tx, [
        { ...cancelled(randomUUID()), traceContext: captured[0] },
        { ...cancelled(randomUUID()), traceContext: captured[1] },
      ]),
    );
    expect((statements[0].params[9] as string[]).map((p) => p.split('-')[2])).toEqual([a.spanContext().spanId, b.spanContext().spanId]);
  });

  it('a row stored without context is sent as it was, and a failed send ends its spans as errors', async () => {
    const { kafka, sent } = recordingKafka();
    const publisher = new KafkaRelayPublisher(kafka, new TopicNames(''));
    await publisher.connect();
    const span = tracer.startSpan('POST /orders');
    const withContext = storedTraceContext(trace.setSpan(context.active(), span))!;
    const rows: OutboxRow[] = [
      { id: '1', topic: 'orders.events', key: 'k1', payload: '{}', headers: { 'event-id': 'e1' }, traceParent: null, traceState: null },
      { id: '2', topic: 'orders.events', key: 'k2', payload: '{}', headers: { 'event-id': 'e2' }, ...withContext },
    ];
    await publisher.publish(rows);
    expect(sent[0].message.headers).toEqual({ 'event-id': 'e1' });
    expect(sent[1].message.headers!.traceparent).toMatch(new RegExp(`^00-${span.spanContext().traceId}-`));
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER)).toHaveLength(1);

    exporter.reset();
    await publisher.disconnect(); // not connected: the send fails before anything goes out
    await expect(publisher.publish(rows)).rejects.toThrow(/not connected/);
    const [failed] = exporter.getFinishedSpans();
    expect(failed.status).toMatchObject({ code: 2, message: expect.stringContaining('not connected') });
  });

  it('a message without trace context starts a new trace; a tracestate travels with the traceparent', async () => {
    const root = ConsumeSpan.start({ topic: 'orders.events', partition: 1, offset: '0', key: null, headers: {} }, 'orders')!;
    root.end('dead-lettered', 'dead-lettered (NOT_JSON)');
    const [span] = exporter.getFinishedSpans();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.status).toMatchObject({ code: 2, message: 'dead-lettered (NOT_JSON)' });

    const parent = tracer.startSpan('send');
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), parent), carrier);
    const withState = { traceparent: Buffer.from(carrier.traceparent), tracestate: Buffer.from('vendor=abc') };
    const consume = ConsumeSpan.start({ topic: 'orders.events', partition: 0, offset: '1', key: null, headers: withState }, 'orders')!;
    const stored = await consume.run(async () => storedTraceContext(undefined));
    consume.end('applied');
    expect(stored!.traceState).toBe('vendor=abc');
  });
});
