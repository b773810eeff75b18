import { IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Setting } from './setting';
import { ToBool, ToInt, ToNumber } from './transforms';

const URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;

/**
 * OpenTelemetry tracing: the standard `OTEL_*` variables, as the OpenTelemetry SDK defines them, that the
 * services read. Validated by `startTracing` before anything else loads (the SDK must hook http and pg first),
 * so a bad value stops the service with a message naming it instead of being ignored. Tracing is off unless
 * OTEL_TRACES_EXPORTER names an exporter; off, nothing of the SDK is loaded.
 */
export class TracingConfig {
  @Setting({ doc: 'true: no tracing, whatever the other OTEL_ settings say (the standard switch of every OpenTelemetry SDK).' })
  @ToBool()
  @IsBoolean({ message: 'OTEL_SDK_DISABLED must be true or false' })
  OTEL_SDK_DISABLED = false;

  @Setting({
    doc: `Where the services send their traces: otlp (OTLP over HTTP, JSON: an OpenTelemetry Collector, Jaeger, Tempo...),
      zipkin (Zipkin's v2 JSON API), or none. Unlike the SDK's own default (otlp), unset is none: a service not configured
      for tracing loads no SDK and pays nothing. See docs/operations.md, Tracing.`,
  })
  @IsIn(['none', 'otlp', 'zipkin'], { message: 'OTEL_TRACES_EXPORTER must be otlp, zipkin or none' })
  OTEL_TRACES_EXPORTER: 'none' | 'otlp' | 'zipkin' = 'none';

  @Setting({
    doc: `Base URL of the OTLP/HTTP receiver (otlp): traces go to its /v1/traces. Unset: the exporter's default,
      http://localhost:4318.`,
    example: 'http://localhost:4318',
  })
  @IsOptional()
  @Matches(URL, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @Setting({
    doc: 'Full URL traces are sent to (otlp), used as it is; takes precedence over OTEL_EXPORTER_OTLP_ENDPOINT.',
    example: 'http://localhost:4318/v1/traces',
  })
  @IsOptional()
  @Matches(URL, { message: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:// or https:// URL' })
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;

  @Setting({
    doc: `OTLP protocol. The services' exporter speaks http/json only (no protobuf or gRPC): any other value stops the
      service rather than sending what the receiver does not expect. OpenTelemetry Collector, Jaeger and Tempo take it.`,
  })
  @IsOptional()
  @IsIn(['http/json'], { message: 'OTEL_EXPORTER_OTLP_PROTOCOL must be http/json (the only OTLP protocol the services send)' })
  OTEL_EXPORTER_OTLP_PROTOCOL?: string;

  @Setting({ doc: 'OTLP protocol of traces; like OTEL_EXPORTER_OTLP_PROTOCOL, http/json only.' })
  @IsOptional()
  @IsIn(['http/json'], { message: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/json (the only OTLP protocol the services send)' })
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;

  @Setting({ doc: "Zipkin's span endpoint (zipkin)." })
  @Matches(URL, { message: 'OTEL_EXPORTER_ZIPKIN_ENDPOINT must be an http:// or https:// URL' })
  OTEL_EXPORTER_ZIPKIN_ENDPOINT = 'http://localhost:9411/api/v2/spans';

  @Setting({ doc: 'Service name on every span. Unset: the service (orders, inventory or shipping).', example: 'orders' })
  @IsOptional()
  @Matches(/^\S{1,200}$/, { message: 'OTEL_SERVICE_NAME must be a name without spaces' })
  OTEL_SERVICE_NAME?: string;

  @Setting({
    doc: `Which traces are recorded. parentbased_*: a trace that came in with a decision (a traceparent header) follows it;
      a trace that starts here (a POST /orders without one) is recorded always (always_on), never (always_off), or for a
      share of trace ids (traceidratio, OTEL_TRACES_SAMPLER_ARG). The relay and the consumers continue the traceparent an
      event carries, so with a parentbased sampler in every service an order's trace is recorded whole or not at all.`,
  })
  @IsIn(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
    message: 'OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
  })
  OTEL_TRACES_SAMPLER = 'parentbased_always_on';

  @Setting({ doc: 'Share of new traces recorded by the traceidratio samplers, from 0 to 1. Unset: 1.', example: '0.1' })
  @IsOptional()
  @ToNumber()
  @Min(0, { message: 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1' })
  @Max(1, { message: 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1' })
  OTEL_TRACES_SAMPLER_ARG?: number;

  @Setting({ doc: 'Milliseconds between two exports of finished spans (sooner when 512 are waiting).' })
  @ToInt()
  @IsInt({ message: 'OTEL_BSP_SCHEDULE_DELAY must be a whole number of milliseconds' })
  @Min(1)
  @Max(600000)
  OTEL_BSP_SCHEDULE_DELAY = 5000;

  @Setting({ doc: 'Most finished spans waiting for export; past that (the receiver slow or down) new spans are dropped, never waited for.' })
  @ToInt()
  @IsInt({ message: 'OTEL_BSP_MAX_QUEUE_SIZE must be a whole number' })
  @Min(512)
  @Max(1_000_000)
  OTEL_BSP_MAX_QUEUE_SIZE = 2048;
}
