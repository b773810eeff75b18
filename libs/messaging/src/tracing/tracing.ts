import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { EventHeaders } from '@app/contracts';

/**
 * Tracing as the messaging code uses it: off unless the service started the OpenTelemetry SDK
 * (`startTracing` in libs/platform, with OTEL_TRACES_EXPORTER set), which then hands its tracer here. Off,
 * every function below returns at once: no context is read, no span made, nothing stored or sent.
 * (`@opentelemetry/api` alone is loaded then: it registers nothing, no context manager, no hook.)
 */
let tracer: Tracer | null = null;

/** A captured trace context (OpenTelemetry's), to continue work in later: see captureTraceContext(). */
export type TraceContext = Context;
let flush: (() => Promise<void>) | null = null;

/** Called once by the SDK's start: from now on the outbox stores, the relay sends and the consumers continue trace context. */
export function enableTracing(sdkTracer: Tracer, shutdown: () => Promise<void>): void {
  tracer = sdkTracer;
  flush = shutdown;
}

/** Back to off (tests that turned tracing on in their process). */
export function disableTracing(): void {
  tracer = null;
  flush = null;
}

export function tracingEnabled(): boolean {
  return tracer !== null;
}

/**
 * The trace id of the work in progress (the HTTP request, the event being applied), or of a context captured
 * before (captureTraceContext), for log lines; undefined when tracing is off or nothing is traced there.
 * Costs a null check when off.
 */
export function currentTraceId(captured?: Context): string | undefined {
  if (!tracer) return undefined;
  // also of a trace not sampled: its id still ties the services' log lines together
  const span = trace.getSpanContext(captured ?? context.active());
  return span && isSpanContextValid(span) ? span.traceId : undefined;
}

/**
 * Names the HTTP server span of the request in progress after its route pattern (`POST /orders`, not the
 * instrumentation's bare `POST`) and sets its http.route. Nothing when off.
 */
export function nameServerSpan(method: string, route: string | undefined): void {
  if (!tracer || !route) return;
  const span = trace.getSpan(context.active());
  span?.updateName(`${method} ${route}`);
  span?.setAttribute('http.route', route);
}

/** A trace context carried across the outbox: the W3C `traceparent` and `tracestate` of the span that enqueued an event. */
export interface StoredTraceContext {
  traceParent: string;
  traceState: string | null;
}

/**
 * The work in progress, to be continued later by code that runs in another's context (the intake's group
 * commit writes several requests' orders in one transaction); undefined when tracing is off.
 */
export function captureTraceContext(): Context | undefined {
  return tracer ? context.active() : undefined;
}

/** Runs `fn` in a context captured before (or as it is, without one). */
export function withTraceContext<T>(captured: Context | undefined, fn: () => T): T {
  return captured && tracer ? context.with(captured, fn) : fn();
}

/** What the outbox stores with an event: the context's W3C headers, or null (tracing off, or no span in it). */
export function storedTraceContext(ctx: Context | undefined): StoredTraceContext | null {
  if (!tracer) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx ?? context.active(), carrier);
  return carrier.traceparent ? { traceParent: carrier.traceparent, traceState: carrier.tracestate || null } : null;
}

/** One PRODUCER span of the relay: the send of one outbox row, and the headers that carry it to the consumers. */
export interface SendSpan {
  span: Span;
  headers: Record<string, string>;
}

/**
 * Starts the relay's span for sending one row, as a child of the context stored with the row, and returns the
 * row's headers with that span's `traceparent` (and `tracestate`) added. Null when tracing is off or the row
 * has no stored context (written while tracing was off, or outside any span): it goes out as it was stored.
 */
export function startSendSpan(row: {
  topic: string;
  key: string;
  headers: Record<string, string>;
  traceParent?: string | null;
  traceState?: string | null;
}): SendSpan | null {
  if (!tracer || !row.traceParent) return null;
  const parent = propagation.extract(
    ROOT_CONTEXT,
    row.traceState ? { traceparent: row.traceParent, tracestate: row.traceState } : { traceparent: row.traceParent },
  );
  const attributes = messagingAttributes('send', row.topic, row.key, row.headers[EventHeaders.EventId], row.headers[EventHeaders.EventType]);
  const span = tracer.startSpan(`send ${row.topic}`, { kind: SpanKind.PRODUCER, attributes }, parent);
  const headers = { ...row.headers };
  propagation.inject(trace.setSpan(parent, span), headers);
  return { span, headers };
}

/** Ends the spans of a send: acknowledged by the broker, or failed with `error` (the rows are sent again later, under new spans). */
export function endSendSpans(spans: readonly SendSpan[], error?: unknown): void {
  for (const { span } of spans) {
    if (error !== undefined) fail(span, error);
    span.end();
  }
}

/**
 * Tracing on: puts the work in progress's context into `headers`, over any the message came with (a dead
 * letter then continues the trace of the consumer span that gave up on it).
 */
export function injectTraceContext(headers: Record<string, string>): void {
  if (tracer) propagation.inject(context.active(), headers);
}

/** What a relay's and a consumer's span both say of an event (the key is the order's id). */
function messagingAttributes(
  operation: 'send' | 'process',
  topic: string,
  key: string | undefined,
  eventId: string | undefined,
  eventType: string | undefined,
): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': topic,
    'messaging.message.id': eventId,
    'event.type': eventType,
    ...(key === undefined ? {} : { 'messaging.kafka.message.key': key, 'order.id': key }),
  };
}

/** A Kafka header as text: kafkajs hands values as Buffers (or arrays of them). */
function header(headers: IHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? undefined : first.toString();
}

/** Kafka headers as the propagator reads them. */
const kafkaHeaders: TextMapGetter<IHeaders> = { keys: (carrier) => Object.keys(carrier), get: header };

/**
 * The CONSUMER span of one fetched message: a child of the relay's PRODUCER span whose context came in the
 * message's headers (a new trace without one). The handler runs in its context (`run`), so the pg spans of its
 * statements are its children and the outbox rows it writes carry it on to the next hop.
 */
export class ConsumeSpan {
  private constructor(
    private readonly span: Span,
    private readonly ctx: Context,
  ) {}

  /** Null when tracing is off. */
  static start(message: { topic: string; partition: number; offset: string; key: Buffer | null; headers: IHeaders }, consumer: string): ConsumeSpan | null {
    if (!tracer) return null;
    const parent = propagation.extract(ROOT_CONTEXT, message.headers, kafkaHeaders);
    const key = message.key?.toString();
    const attributes: Attributes = {
      ...messagingAttributes('process', message.topic, key, header(message.headers, EventHeaders.EventId), header(message.headers, EventHeaders.EventType)),
      'messaging.destination.partition.id': String(message.partition),
      'messaging.kafka.offset': Number(message.offset),
      'messaging.consumer.group.name': consumer,
    };
    const span = tracer.startSpan(`process ${message.topic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    return new ConsumeSpan(span, trace.setSpan(parent, span));
  }

  /** Runs the message's handling in this span's context (the span stays open: see end()). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(this.ctx, fn);
  }

  /**
   * Ends the span with what became of the message (`applied`, `duplicate`, `ignored`, `dead-lettered`, or
   * `rolled back` for an event of a batch that failed and is handled again alone); a failure's error marks it.
   */
  end(outcome: string, error?: unknown): void {
    this.span.setAttribute('consumer.outcome', outcome);
    if (error !== undefined) fail(this.span, error);
    this.span.end();
  }
}

function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Ends the tracer's work: spans still buffered are exported (waits at most `timeoutMs`). Nothing when off. */
export async function shutdownTracing(timeoutMs = 2000): Promise<void> {
  const done = flush;
  if (!done) return;
  flush = null;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()))]);
  clearTimeout(timer);
}
