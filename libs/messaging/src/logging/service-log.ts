import { pino, type Level, type Logger } from 'pino';
import type { IHeaders } from 'kafkajs';
import type { EventEnvelope } from '@app/contracts';
import { currentTraceId } from '../tracing/tracing';

/**
 * The process's JSON logger (pino), made from LOG_LEVEL and LOG_FORMAT by libs/platform when the service
 * starts (`useServiceLog`). Until then it is silent: code built without a service around it (unit and
 * integration tests of this library) writes nothing.
 *
 * Ids are passed explicitly, per line, never kept in AsyncLocalStorage (docs/decisions/003): the lines of one
 * order are found by its `orderId`, one request's by its `correlationId`, one trace's by its `traceId`.
 */
let log: Logger = pino({ level: 'silent' });

export function useServiceLog(logger: Logger): void {
  log = logger;
}

export function serviceLog(): Logger {
  return log;
}

/**
 * The level of the one line written for each event a consumer handled (and each order placed): `info`, so the
 * default LOG_LEVEL (log) writes them; about 0.1% of an order's CPU (docs/decisions/021-json-logs-with-pino.md).
 */
export const EVENT_LINE_LEVEL: Level = 'info';

/** Whether event lines are written (checked before building one: nothing is allocated when they are not). */
export function eventLinesOn(): boolean {
  return log.isLevelEnabled(EVENT_LINE_LEVEL);
}

/** The fields that tie an event's lines to its order, its request and its trace. */
export interface EventLogFields {
  orderId: string;
  eventId: string;
  eventType: string;
  correlationId: string;
  traceId?: string;
}

export function eventLogFields(envelope: EventEnvelope<unknown>, traceId: string | undefined): EventLogFields {
  const fields: EventLogFields = { orderId: envelope.orderId, eventId: envelope.id, eventType: envelope.type, correlationId: envelope.correlationId };
  if (traceId) fields.traceId = traceId;
  return fields;
}

/** What a consumer did with an event: applied it, or found it applied already (a redelivery). */
export interface EventLine {
  envelope: EventEnvelope<unknown>;
  traceId: string | undefined;
  outcome: 'applied' | 'duplicate';
  topic: string;
  partition: number;
  offset: string;
}

/** The one line of an event handled: `OrderPlaced applied`, with its ids and where it was read from. */
export function writeEventLine(line: EventLine): void {
  const { envelope: e } = line;
  log[EVENT_LINE_LEVEL](
    {
      context: 'InboxConsumer',
      orderId: e.orderId,
      eventId: e.id,
      eventType: e.type,
      correlationId: e.correlationId,
      traceId: line.traceId,
      outcome: line.outcome,
      topic: line.topic,
      partition: line.partition,
      offset: line.offset,
    },
    line.outcome === 'applied' ? `${e.type} applied` : `${e.type} already applied: skipped`,
  );
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

/**
 * The trace id of a consumed message: the consumer's span's when tracing is on here, else the one its
 * `traceparent` header carries (its producer traced it), else none.
 */
export function messageTraceId(headers: IHeaders | undefined): string | undefined {
  const own = currentTraceId();
  if (own) return own;
  const value = headers?.traceparent;
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return undefined;
  const id = TRACEPARENT.exec(first.toString())?.[1];
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}
