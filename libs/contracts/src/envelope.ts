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

/**
 * The dead-letter code of an event whose fact contradicts what its consumer recorded of the same order (another
 * shipment id, another total): the consumer's state stays as it was, and an operator decides.
 */
export const CONFLICTING_FACT = 'CONFLICTING_FACT';

/** What a dead-letter topic's message says about the message it copies (see DeadLetterHeaders). */
export interface DeadLetter {
  /** The message key, which for every event of ours is its order's id (null when it had none). */
  key: string | null;
  /** The service whose consumer gave up on the message. */
  consumer: string;
  errorCode: string;
  errorMessage: string;
  /** From the original's headers, when it had them (a message that is not our envelope may not). */
  eventType: string | null;
  eventId: string | null;
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** Reads a dead-letter message's headers; anything missing reads as unknown, never as an error. */
export function readDeadLetter(key: Buffer | string | null | undefined, headers: Record<string, HeaderValue> | undefined): DeadLetter {
  const header = (name: string): string | null => {
    const value = headers?.[name];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === null ? null : first.toString();
  };
  const originalKey = header(DeadLetterHeaders.OriginalKey);
  return {
    key: key === null || key === undefined ? originalKey || null : key.toString(),
    consumer: header(DeadLetterHeaders.Consumer) ?? 'a consumer',
    errorCode: header(DeadLetterHeaders.ErrorCode) ?? 'UNKNOWN',
    errorMessage: header(DeadLetterHeaders.ErrorMessage) ?? 'no reason given',
    eventType: header(EventHeaders.EventType),
    eventId: header(EventHeaders.EventId),
  };
}

export function headersOf(envelope: EventEnvelope): Record<string, string> {
  return {
    [EventHeaders.EventId]: envelope.id,
    [EventHeaders.EventType]: envelope.type,
    [EventHeaders.EventVersion]: String(envelope.version),
    [EventHeaders.CorrelationId]: envelope.correlationId,
  };
}
