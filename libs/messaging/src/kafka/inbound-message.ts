import type { KafkaMessage } from 'kafkajs';
import { EventHeaders } from '@app/contracts';
import type { RawMessage } from '../consumer/on-event';

/** A fetched message as the transport hands it on: by logical topic, with the heartbeat of its batch. */
export interface InboundMessage extends RawMessage {
  /** Keeps the consumer's partitions while a message takes long (retries with backoff). */
  heartbeat: () => Promise<void>;
}

/** Where the transport sends what it fetches (the inbox consumer). */
export interface MessageDispatcher {
  /** The logical topics to subscribe to. */
  topics(): string[];
  /** Handles one message alone, with retries and dead-lettering; returns once its offset may be resolved. */
  handle(message: InboundMessage): Promise<unknown>;
  /**
   * Handles consecutive messages of one partition in one transaction. true: all handled and committed;
   * false: all rolled back, and the caller hands each to `handle()`.
   */
  handleInOneTransaction(messages: InboundMessage[]): Promise<boolean>;
}

/**
 * A message's event id: its `event-id` header (kafkajs reads a header sent without a value as null), or,
 * from a producer that sends none, the envelope's `id`; nothing if neither can be read.
 */
export function eventIdOf(message: Pick<KafkaMessage, 'headers' | 'value'>): string[] {
  const value = message.headers?.[EventHeaders.EventId];
  const first = Array.isArray(value) ? value[0] : value;
  if (first !== undefined && first !== null) return [first.toString()];
  try {
    const id = (JSON.parse(message.value?.toString() ?? 'null') as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? [id] : [];
  } catch {
    return []; // not JSON: handled (and dead-lettered) like any such message
  }
}
