import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
// by its own path: @app/messaging's index would load pg before its instrumentation is in place
import { enableTracing } from '@app/messaging/tracing/tracing';
import type { TracingConfig } from '../config/tracing.config';

/**
 * A statement's span named after its command and first table ("INSERT outbox", "SELECT orders"): the
 * instrumentation names a prepared statement after its name, which here is a hash of its text.
 */
export function statementName(text: string): string {
  const sql = text.replace(/^\s*\/\*.*?\*\/\s*/s, '');
  const command = /^\w+/.exec(sql)?.[0].toUpperCase() ?? 'SQL';
  const table = /\b(?:INTO|UPDATE|FROM)\s+([a-z_][\w.]*)/i.exec(sql)?.[1];
  return table ? `${command} ${table}` : command;
}

/** Probes, scrapes and the board (a page and its long-lived stream) are not traced: they would bury the orders' traces. */
const UNTRACED_PATHS = /^\/(health|metrics|board)(\/|\?|$)/;

/**
 * The OpenTelemetry SDK, set up by hand rather than with @opentelemetry/sdk-node (which loads every exporter
 * and signal): W3C trace context, AsyncLocalStorage to carry the active span through awaits (the cost is in
 * docs/decisions/022-tracing-context-propagation.md), spans exported in batches to the configured exporter,
 * and the http and pg instrumentations. The exporters and the sampler read their own OTEL_ variables, which
 * TracingConfig has validated. kafkajs is not instrumented: the relay and the consumers make their own spans
 * (its instrumentation would overwrite the traceparent the relay sends).
 */
export function startSdk(service: string, config: TracingConfig): void {
  const exporter: SpanExporter = config.OTEL_TRACES_EXPORTER === 'zipkin' ? new ZipkinExporter() : new OTLPTraceExporter();
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over the service's own name
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // the services call no other HTTP service; the exporter's own requests stay out of the traces
      new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true, ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? '') }),
      // statements of a request or an event only: the relay's claims and the health checks' queries start no trace
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true, requestHook: (span, { query }) => span.updateName(statementName(query.text)) }),
    ],
  });
  enableTracing(provider.getTracer('event-driven-orders'), () => provider.shutdown());
}
