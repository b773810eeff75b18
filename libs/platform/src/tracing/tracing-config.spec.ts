import { ConfigError, loadConfig } from '../config/load-config';
import { TracingConfig } from '../config/tracing.config';
import { statementName } from './tracing-sdk';

describe('tracing settings (the OTEL_ variables)', () => {
  it('are off unless an exporter is named, with the SDK defaults otherwise', () => {
    expect(loadConfig(TracingConfig, {})).toMatchObject({ OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: false, OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
    expect(loadConfig(TracingConfig, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '.25' })).toMatchObject({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
    });
  });

  it('name every bad value (an unknown exporter or sampler, a protocol the exporter does not send, a ratio out of range, a URL that is not one)', () => {
    const problems = (() => {
      try {
        loadConfig(TracingConfig, {
          OTEL_TRACES_EXPORTER: 'jaeger',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
          OTEL_TRACES_SAMPLER: 'sometimes',
          OTEL_TRACES_SAMPLER_ARG: 'half',
          OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'zipkin:9411',
          OTEL_SDK_DISABLED: 'maybe',
        });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
      'OTEL_SDK_DISABLED',
      'OTEL_TRACES_EXPORTER',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
  });
});

describe("a statement's span name", () => {
  it('is its command and first table, not the prepared statement name', () => {
    expect(statementName('/* deferred */ INSERT INTO outbox (event_id) SELECT 1')).toBe('INSERT outbox');
    expect(statementName('SELECT id FROM orders WHERE id = $1 FOR UPDATE')).toBe('SELECT orders');
    expect(statementName('/* deferred */ WITH o AS (UPDATE orders SET x = 1) INSERT INTO order_timeline VALUES (1)')).toBe('WITH orders');
    expect(statementName('COMMIT')).toBe('COMMIT');
  });
});
