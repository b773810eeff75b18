/*
 * The one envelope builder of the tests. Free of side effects (no infrastructure, no environment): unit specs
 * import it as `@app/testing/events`, integration specs from `@app/testing` as well.
 */
import { randomUUID } from 'node:crypto';
import type { EventClass, EventEnvelope } from '@app/contracts';

/** The envelope's own fields, any of which a test may set. */
export type EnvelopeOverrides = Partial<Omit<EventEnvelope, 'data' | 'type' | 'version'>>;

/**
 * An event of `eventClass` in its envelope, as a producer's outbox writes it: a new id, the class's type and
 * version, occurred now, a new order id and correlation id, caused by nothing; `overrides` sets any of those
 * (the order it belongs to, the event that caused it, when it happened). `data` becomes an instance of the
 * class, as a consumer gets it after validation.
 */
export function anEnvelope<T extends object>(eventClass: EventClass<T>, data: T, overrides: EnvelopeOverrides = {}): EventEnvelope<T> {
  return {
    id: randomUUID(),
    type: eventClass.type,
    version: eventClass.version,
    occurredAt: new Date().toISOString(),
    orderId: randomUUID(),
    correlationId: randomUUID(),
    causationId: null,
    ...overrides,
    data: Object.assign(new eventClass(), data),
  };
}
