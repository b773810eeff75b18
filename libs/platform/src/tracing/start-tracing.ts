import { loadConfigOrExit } from '../config/load-config';
import { TracingConfig } from '../config/tracing.config';

/**
 * Starts OpenTelemetry tracing when OTEL_TRACES_EXPORTER names an exporter; returns whether it did. It must run
 * before anything loads http or pg, whose instrumentations hook their loading: each service's main.ts imports
 * its tracing.ts first, which calls this. Off (the default), no SDK is loaded, no context manager (and so no
 * AsyncLocalStorage) is installed, and the messaging code does no tracing work at all. A bad OTEL_ value
 * stops the service with a message naming it.
 */
export function startTracing(service: string): boolean {
  const config = loadConfigOrExit(service, TracingConfig);
  if (config.OTEL_SDK_DISABLED || config.OTEL_TRACES_EXPORTER === 'none') {
    if (config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
      process.stderr.write(`${service}: an OTLP endpoint is set but tracing is off: set OTEL_TRACES_EXPORTER=otlp to send traces there\n`);
    }
    return false;
  }
  // required only now: with tracing off, the SDK and the instrumentations are never loaded
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  startSdk(service, config);
  return true;
}
