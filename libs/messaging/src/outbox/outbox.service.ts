import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventClass, EventEnvelope, headersOf, topicOfEvent, validateData } from '@app/contracts';
import { deferred, settledRows } from '@app/database';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { ENQUEUE_SQL, ENQUEUE_TRACED_SQL, fnv1a, keyLockId, LockClass, NOTIFY_SQL } from './outbox.sql';
import { storedTraceContext, type TraceContext, tracingEnabled } from '../tracing/tracing';

/** One event to publish: the payload (an instance of a registered event class) and its context. */
export interface OutgoingEvent<T extends object = object> {
  data: T;
  orderId: string;
  correlationId: string;
  causationId?: string | null;
  occurredAt?: Date;
  /**
   * The caller vouches that `data` has already passed its event class's validation rules, so the
   * outbox does not check them again (size and event class still are). Only for data that went
   * through the very same class-validator rules on its way in, such as the OrderPlaced built from a
   * `POST /orders` body, whose DTO a unit test keeps rule for rule equal to the event's. Events built
   * from state (every other one) are checked here: that is what keeps a service from publishing an
   * event its consumers would refuse.
   */
  prevalidated?: boolean;
  /**
   * With tracing on, the trace context the event belongs to, when it is not the one the enqueue runs in (the
   * intake's group commit writes several requests' orders in one transaction): see captureTraceContext().
   */
  traceContext?: TraceContext;
}

/** Set on the query runner's data by enqueue() (the transaction's id), so its commit can wake the relay in this process. */
export const OUTBOX_ENQUEUED = 'outboxEnqueued';

/**
 * Set on the query runner's data once the transaction's NOTIFY is queued (one per transaction). A savepoint
 * rolled back takes a NOTIFY sent inside it along, so the relay service clears this then (see OutboxRelayService).
 */
export const OUTBOX_NOTIFIED = 'outboxNotified';

/**
 * Tells the Outbox whether a commit must NOTIFY. A NOTIFY is not free: PostgreSQL serialises the
 * commits of every transaction that notifies, cluster-wide, on one lock held through the commit's WAL
 * flush, which defeats group commit (see docs/decisions/004-notify-only-with-several-relays.md). The
 * relay in the service's own process is woken directly after each commit; only the relays of other
 * processes (replicas, RELAY_ONLY instances) need the NOTIFY.
 */
export interface OutboxWakePolicy {
  /** false when this process's relay is the only one over the outbox. */
  notifyOtherRelays(): boolean;
}

export const OUTBOX_WAKE_POLICY = Symbol('OUTBOX_WAKE_POLICY');

/** Envelopes above this size are refused at enqueue rather than failing at the broker later. */
export const MAX_EVENT_BYTES = 900 * 1024;

export class OutboxValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxValidationError';
  }
}

/**
 * Writes events to the outbox inside the caller's transaction, so they commit (or roll back)
 * together with the state change they describe. Nothing is sent to Kafka here: the relay does it.
 */
@Injectable()
export class Outbox {
  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    // without one (a process with no relay of its own), every commit notifies
    @Optional() @Inject(OUTBOX_WAKE_POLICY) private readonly wakePolicy?: OutboxWakePolicy,
  ) {}

  async enqueue(tx: EntityManager, events: OutgoingEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    if (!tx.queryRunner?.isTransactionActive) {
      throw new OutboxValidationError('Outbox.enqueue must run inside a transaction (dataSource.transaction(...))');
    }
    const envelopes = events.map((e) => this.envelopeOf(e));
    const rows = envelopes.map((envelope, i) => {
      const payload = JSON.stringify(envelope);
      const bytes = Buffer.byteLength(payload);
      if (bytes > MAX_EVENT_BYTES) {
        throw new OutboxValidationError(`${envelope.type} for order ${envelope.orderId} is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}`);
      }
      return { envelope, payload, topic: topicOfEvent(events[i].data.constructor as EventClass) };
    });

    // Serialise same-key transactions from here to their commit, so ids per key follow commit order.
    // The locks are taken by the uncorrelated sub-select, which Postgres runs once as a one-time
    // filter before the first row (and so before the first id is drawn): one round trip for both.
    const keyLocks = [...new Set(envelopes.map((e) => keyLockId(e.orderId)))].sort((a, b) => a - b);
    // Deferred: nothing here needs its answer, so with a pipelining client it goes out with the next
    // statement or the COMMIT. The transaction's id it returns (for the relay's wake) is there by the
    // time the COMMIT answers; until then, and with any other client, the wake just carries no id.
    const params: unknown[] = [
      rows.map((r) => r.envelope.id),
      rows.map((r) => r.topic),
      rows.map((r) => r.envelope.orderId),
      // the lane is key_hash % lanes, computed by the relay: rows never strand when the lane count changes
      rows.map((r) => fnv1a(r.envelope.orderId)),
      rows.map((r) => r.payload),
      rows.map((r) => JSON.stringify(headersOf(r.envelope))),
      LockClass.Key,
      keyLocks,
      keyLocks.length,
    ];
    // with tracing on, each row keeps the context it was written in (the relay's PRODUCER span continues it)
    const traced = tracingEnabled() ? events.map((e) => storedTraceContext(e.traceContext)) : null;
    if (traced)
      params.push(
        traced.map((t) => t?.traceParent ?? null),
        traced.map((t) => t?.traceState ?? null),
      );
    const inserted = await tx.query(deferred(traced ? ENQUEUE_TRACED_SQL : ENQUEUE_SQL), params);
    const data = tx.queryRunner.data as Record<string, unknown>;
    if (!data[OUTBOX_NOTIFIED] && (this.wakePolicy?.notifyOtherRelays() ?? true)) {
      await tx.query(deferred(NOTIFY_SQL));
      data[OUTBOX_NOTIFIED] = true;
    }
    data[OUTBOX_ENQUEUED] = true;
    void settledRows<{ xid: string }>(inserted).then(
      (r) => {
        if (data[OUTBOX_ENQUEUED] !== undefined) data[OUTBOX_ENQUEUED] = r[0]?.xid ?? true;
      },
      () => {}, // the statement's error fails the transaction; it is reported there
    );
    return envelopes;
  }

  private envelopeOf(event: OutgoingEvent): EventEnvelope {
    const eventClass = (event.data as object).constructor as EventClass;
    if (typeof eventClass.type !== 'string' || typeof eventClass.version !== 'number') {
      throw new OutboxValidationError(`${eventClass.name} is not an event class (it needs static type and version)`);
    }
    let data: object = event.data;
    if (!event.prevalidated) {
      try {
        data = validateData(eventClass, { ...event.data });
      } catch (err) {
        throw new OutboxValidationError((err as Error).message);
      }
    }
    return {
      id: randomUUID(),
      type: eventClass.type,
      version: eventClass.version,
      occurredAt: (event.occurredAt ?? new Date()).toISOString(),
      orderId: event.orderId,
      correlationId: event.correlationId,
      causationId: event.causationId ?? null,
      data,
    };
  }
}
