/**
 * The envelope every Kafka message value carries. `data` is the event's payload, a class with
 * class-validator decorators (see ./events); consumers validate it before acting.
 */
export interface EventEnvelope<TData = unknown> {
  /** Unique per event (uuid); consumers deduplicate on it. */
  id: string;
  /** Past-tense event name, e.g. `OrderPlaced`. */
  type: string;
  /** Schema version of `data`; a breaking change makes a new version. */
  version: number;
  /** ISO-8601 time the fact happened. */
  occurredAt: string;
  /** The order this event belongs to; also the Kafka message key. */
  orderId: string;
  /** Id shared by every event caused, directly or not, by one request. */
  correlationId: string;
  /** Id of the event (or request) that caused this one. */
  causationId: string | null;
  data: TData;
}

/** Kafka headers repeating envelope fields, so tools can route without parsing the value. */
export const EventHeaders = {
  EventId: 'event-id',
  EventType: 'event-type',
  EventVersion: 'event-version',
  CorrelationId: 'correlation-id',
} as const;

/** Headers added to a message copied to a dead-letter topic. */
export const DeadLetterHeaders = {
  OriginalTopic: 'dlt-original-topic',
  OriginalPartition: 'dlt-original-partition',
  OriginalOffset: 'dlt-original-offset',
  OriginalKey: 'dlt-original-key',
  Consumer: 'dlt-consumer',
  ErrorCode: 'dlt-error-code',
  ErrorMessage: 'dlt-error-message',
  FailedAt: 'dlt-failed-at',
} as const;

export function headersOf(envelope: EventEnvelope): Record<string, string> {
  return {
    [EventHeaders.EventId]: envelope.id,
    [EventHeaders.EventType]: envelope.type,
    [EventHeaders.EventVersion]: String(envelope.version),
    [EventHeaders.CorrelationId]: envelope.correlationId,
  };
}
