// imported by main.ts before the rest: with tracing configured, the OpenTelemetry SDK must hook http and pg before anything loads them
import { startTracing } from '@app/platform/tracing/start-tracing';

startTracing('orders');
