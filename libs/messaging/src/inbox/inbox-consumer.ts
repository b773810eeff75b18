import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { EnvelopeError, EventEnvelope, parseEnvelope } from '@app/contracts';
import { deferred, settledRows } from '@app/database';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { isTransientError } from '../errors';
import { DeadLetterPublisher, FailedMessage } from './dead-letter.publisher';
import { EventRouter } from '../consumer/event-router';
import { eventIdOf, type InboundMessage, type MessageDispatcher } from '../kafka/inbound-message';
import type { ConsumerOutcome, EventTypeMetrics, MessagingMetrics } from '../metrics/messaging-metrics';
import { eventLinesOn, eventLogFields, messageTraceId, writeEventLine, type EventLine } from '../logging/service-log';
import { ConsumeSpan, tracingEnabled } from '../tracing/tracing';

/** Thrown by a handler for an event that can never be applied (a bug or a broken contract). */
export class PermanentEventError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentEventError';
  }
}

export class ConsumerStoppingError extends Error {
  constructor() {
    super('consumer is shutting down; the message will be redelivered');
  }
}

/**
 * Thrown inside a shared batch transaction when a message needs more than the happy path (a bad
 * envelope, an unknown version): the batch is rolled back and its messages are handled one by one.
 */
class BatchAbandoned extends Error {
  constructor(reason: string) {
    super(`batch abandoned: ${reason}`);
  }
}

/** Rolls back the transaction of an event this consumer had already applied (see claimInbox). */
class AlreadyApplied extends Error {
  constructor() {
    super('already applied');
  }
}

/** A batch met an event this consumer had already applied. */
class BatchMetDuplicate extends BatchAbandoned {
  constructor() {
    super('a message was already applied');
  }
}

/** The transaction the messages of one batch share, opened by the first message that needs it. */
interface BatchScope {
  runner: QueryRunner | null;
  /** Event lines on: one per event the batch applied or skipped, written once it committed. */
  logged: EventLine[] | null;
  /** Ids of the batch's events this consumer has already applied (looked up after the batch met one): skipped. */
  applied: Set<string> | null;
  /** What to count once the batch committed (metrics on): the counters of each event's type, and its outcome. */
  counted: { m: EventTypeMetrics; outcome: ConsumerOutcome }[] | null;
  /** Tracing on: each message's CONSUMER span and outcome, ended once the batch committed or rolled back. */
  spans: { span: ConsumeSpan; outcome: string }[] | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Non-transient handler errors are retried this many times before the message is dead-lettered. */
const MAX_PERMANENT_ATTEMPTS = 3;
const MAX_BACKOFF_MS = 10_000;

/** Claims (consumer, event id); no row back means this consumer already applied the event. */
const INSERT_INBOX_SQL = 'INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1';

export interface ConsumeResult {
  outcome: 'applied' | 'duplicate' | 'ignored' | 'dead-lettered';
  /** A dead letter's error code. */
  code?: string;
}

/**
 * Where every fetched message of the service's consumer goes (the Kafka transport hands it each batch): it
 * parses the envelope, deduplicates, routes to the @OnEvent handler of its type and version, and applies it
 * with exactly-once effect over at-least-once delivery:
 * - the envelope and its data are validated; a bad message goes to the dead-letter topic;
 * - the handler runs in one transaction with an inbox row (consumer, event id), so a redelivered
 *   event is acknowledged and does nothing;
 * - transient failures (database or broker down) are retried with backoff, never skipped;
 * - it returns, and the transport resolves the offset, only after the commit.
 * Messages of an @OnMessage topic (no events: dead letters) go to their handler, transient failures retried.
 */
@Injectable()
export class InboxConsumer implements BeforeApplicationShutdown, MessageDispatcher {
  private readonly logger = new Logger(InboxConsumer.name);
  private stopping = false;
  private metrics: MessagingMetrics | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly router: EventRouter,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /** Counts events, handler time and dead letters into these metrics from now on. */
  instrument(metrics: MessagingMetrics): void {
    this.metrics = metrics;
  }

  private count(topic: string, type: string, outcome: ConsumerOutcome): void {
    if (this.metrics) this.metrics.countOutcome(this.metrics.eventType(topic, type), outcome);
  }

  /** Events skipped inside a batch because the inbox already had them (a batch delivered again). */
  readonly stats = { duplicatesSkippedInBatches: 0 };

  /** The logical topics the service's handlers read. */
  topics(): string[] {
    return this.router.topics();
  }

  /**
   * Handles consecutive messages of one partition in ONE transaction, and commits it: under load, a batch
   * costs one BEGIN/COMMIT and one relay wake instead of one per message. Anything off the happy path (a
   * handler error, a bad envelope, a failed commit) rolls the whole batch back and returns false; the
   * caller then hands each message to `handle()`, with its retry and dead-letter policy. Offsets must only
   * be resolved after this returned true.
   *
   * A batch that met an event already applied is most likely a batch delivered again (after a
   * rebalance or a crash, up to a commit interval of events): the inbox is asked once which of its
   * event ids it already has, and the batch runs again with those skipped, instead of every event of it
   * being handled, and rolled back, one by one.
   */
  async handleInOneTransaction(messages: InboundMessage[]): Promise<boolean> {
    if (messages.length === 0 || this.router.rawHandler(messages[0].topic)) return false;
    let outcome = await this.attemptBatch(messages, null);
    const ids = outcome instanceof BatchMetDuplicate ? messages.flatMap((m) => eventIdOf(m)).filter((id) => UUID.test(id)) : [];
    if (ids.length > 0) {
      const applied = await this.appliedAmong(ids).catch((err: Error) => err);
      outcome = applied instanceof Error ? applied : await this.attemptBatch(messages, applied);
    }
    if (outcome === true) return true;
    this.logger.debug(`batch rolled back, handling its messages one by one (${outcome.message})`);
    return false;
  }

  private async attemptBatch(messages: InboundMessage[], applied: Set<string> | null): Promise<true | Error> {
    const scope: BatchScope = {
      runner: null,
      logged: eventLinesOn() ? [] : null,
      applied,
      counted: this.metrics ? [] : null,
      spans: tracingEnabled() ? [] : null,
    };
    try {
      for (const message of messages) {
        if (scope.spans) await this.consumeInBatchTraced(message, scope, scope.spans);
        else await this.consumeInBatch(message, scope);
        // kafkajs sends one only every heartbeatInterval, so a long batch keeps its partitions; not awaited: a
        // coordinator that died or froze would hold this transaction's locks and connection until kafkajs gives up
        message.heartbeat().catch(() => {});
      }
      if (scope.runner) await scope.runner.commitTransaction();
      if (scope.counted) for (const c of scope.counted) this.metrics!.countOutcome(c.m, c.outcome);
      if (scope.logged) for (const line of scope.logged) writeEventLine(line);
      if (scope.spans) for (const s of scope.spans) s.span.end(s.outcome);
      return true;
    } catch (err) {
      if (scope.runner?.isTransactionActive) await scope.runner.rollbackTransaction().catch(() => {});
      // their effects are gone: each event is handled again alone, under a span of its own
      if (scope.spans) for (const s of scope.spans) s.span.end('rolled back');
      if (this.stopping) throw new ConsumerStoppingError();
      return err as Error;
    } finally {
      await scope.runner?.release().catch(() => {});
    }
  }

  /** consumeInBatch in the message's CONSUMER span, which stays open until the batch's transaction ends. */
  private async consumeInBatchTraced(message: InboundMessage, scope: BatchScope, spans: NonNullable<BatchScope['spans']>): Promise<void> {
    const span = ConsumeSpan.start(message, this.options.service)!;
    try {
      const result = await span.run(() => this.consumeInBatch(message, scope));
      spans.push({ span, outcome: result.outcome });
    } catch (err) {
      span.end('rolled back', err);
      throw err;
    }
  }

  /** Which of these events this consumer has applied (committed inbox rows). */
  private async appliedAmong(eventIds: string[]): Promise<Set<string>> {
    const rows: { id: string }[] = await this.dataSource.query('SELECT event_id::text AS id FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [
      this.options.service,
      eventIds,
    ]);
    return new Set(rows.map((r) => r.id.toLowerCase()));
  }

  /**
   * Handles one message alone: an event through the inbox, a raw message by its @OnMessage handler. With
   * tracing on, in a CONSUMER span that continues the trace the message's headers carry.
   */
  async handle(inbound: InboundMessage): Promise<ConsumeResult> {
    const span = ConsumeSpan.start(inbound, this.options.service);
    if (!span) return this.handleAlone(inbound);
    try {
      const result = await span.run(() => this.handleAlone(inbound));
      span.end(result.outcome, result.outcome === 'dead-lettered' ? `dead-lettered (${result.code})` : undefined);
      return result;
    } catch (err) {
      span.end('stopped', err); // the consumer is stopping: the message is delivered again
      throw err;
    }
  }

  private async handleAlone(inbound: InboundMessage): Promise<ConsumeResult> {
    const raw = this.router.rawHandler(inbound.topic);
    if (raw) return this.handleRaw(inbound, raw);
    const message: FailedMessage = {
      topic: inbound.topic,
      partition: inbound.partition,
      offset: inbound.offset,
      key: inbound.key === null || inbound.key === undefined ? null : inbound.key.toString(),
      value: inbound.value,
      headers: (inbound.headers ?? {}) as FailedMessage['headers'],
    };
    const heartbeat = inbound.heartbeat;

    let envelope: EventEnvelope<object>;
    try {
      envelope = parseEnvelope(inbound.value);
    } catch (err) {
      const e = err as EnvelopeError;
      await this.deadLetter(message, e.code ?? 'BAD_ENVELOPE', e.message, heartbeat);
      this.count(inbound.topic, 'unknown', 'dead-lettered');
      return { outcome: 'dead-lettered', code: e.code ?? 'BAD_ENVELOPE' };
    }
    const handler = this.router.event(envelope.type, envelope.version);
    if (!handler) {
      // a type this consumer does not act on is skipped; a version of a type it acts on must not be
      if (!this.router.handlesType(envelope.type)) {
        this.count(inbound.topic, envelope.type, 'ignored');
        return { outcome: 'ignored' };
      }
      await this.deadLetter(
        message,
        'UNHANDLED_VERSION',
        `${envelope.type} v${envelope.version} has no handler in ${this.options.service}`,
        heartbeat,
        envelope,
      );
      this.count(inbound.topic, envelope.type, 'dead-lettered');
      return { outcome: 'dead-lettered', code: 'UNHANDLED_VERSION' };
    }

    let unexpectedFailures = 0; // only failures that are not transient count towards dead-lettering
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.transaction(async (tx) => {
          const claimed = await this.claimInbox(tx, envelope);
          const started = this.metrics ? performance.now() : 0;
          try {
            await handler(envelope, tx);
            if (this.metrics) this.metrics.eventType(inbound.topic, envelope.type).handleSeconds.observe((performance.now() - started) / 1000);
          } catch (err) {
            const isNew = await claimed.isNew().catch((e: Error) => e);
            // a redelivered event may fail against the state it already moved on: it is a duplicate, not a failure
            if (isNew === false) throw new AlreadyApplied();
            // the inbox insert went first (pipelined with the handler's first statement): when it failed, the
            // handler only saw "current transaction is aborted"; the insert's error is the cause (e.g. a
            // read-only database, transient), not the handler's
            if (isNew instanceof Error) throw isNew;
            throw err;
          }
          if (!(await claimed.isNew())) throw new AlreadyApplied();
        });
        this.count(inbound.topic, envelope.type, 'applied');
        if (eventLinesOn()) writeEventLine(this.eventLine(envelope, inbound, 'applied'));
        return { outcome: 'applied' };
      } catch (err) {
        if (err instanceof AlreadyApplied) {
          this.count(inbound.topic, envelope.type, 'duplicate');
          if (eventLinesOn()) writeEventLine(this.eventLine(envelope, inbound, 'duplicate'));
          return { outcome: 'duplicate' };
        }
        if (this.stopping) throw new ConsumerStoppingError();
        const error = err as Error;
        const where = `${envelope.type} ${envelope.id} (order ${envelope.orderId}) from ${message.topic}[${message.partition}]@${message.offset}`;
        const transient = isTransientError(err);
        if (!transient) unexpectedFailures++;
        if (err instanceof PermanentEventError || unexpectedFailures >= MAX_PERMANENT_ATTEMPTS) {
          const code = err instanceof PermanentEventError ? err.code : 'HANDLER_FAILED';
          this.logger.error({ msg: `${where} cannot be applied (${code}): ${error.message}`, ...eventLogFields(envelope, messageTraceId(inbound.headers)) });
          await this.deadLetter(message, code, error.message, heartbeat, envelope);
          this.count(inbound.topic, envelope.type, 'dead-lettered');
          return { outcome: 'dead-lettered', code };
        }
        const delay = backoff(attempt);
        this.logger.warn({
          msg: `${where} failed (attempt ${attempt}, ${transient ? 'transient' : 'unexpected'}): ${error.message}; retrying in ${delay} ms`,
          ...eventLogFields(envelope, messageTraceId(inbound.headers)),
        });
        await this.pause(delay, heartbeat);
      }
    }
  }

  /**
   * A raw message (no inbox: its handler's effect is idempotent by itself): transient failures (the database
   * or broker unavailable) are retried with backoff, heartbeating meanwhile, until it succeeds or the consumer
   * stops; any other failure is logged and the message skipped (there is nowhere further to send it).
   */
  private async handleRaw(message: InboundMessage, handler: (m: InboundMessage) => Promise<unknown>): Promise<ConsumeResult> {
    const where = `${message.topic}[${message.partition}]@${message.offset}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(message);
        this.count(message.topic, 'raw', 'applied');
        return { outcome: 'applied' };
      } catch (err) {
        if (this.stopping) throw new ConsumerStoppingError();
        if (!isTransientError(err)) {
          this.logger.error(`${where}: ${(err as Error).message}; message skipped`);
          this.count(message.topic, 'raw', 'ignored');
          return { outcome: 'ignored' };
        }
        const delay = backoff(attempt);
        this.logger.warn(`${where} failed (attempt ${attempt}, transient): ${(err as Error).message}; retrying in ${delay} ms`);
        await this.pause(delay, message.heartbeat);
      }
    }
  }

  /** The happy path only, inside the batch's transaction; everything else abandons the batch. */
  private async consumeInBatch(message: InboundMessage, scope: BatchScope): Promise<ConsumeResult> {
    let envelope: EventEnvelope<object>;
    try {
      envelope = parseEnvelope(message.value);
    } catch {
      throw new BatchAbandoned('a message has a bad envelope');
    }
    const m = scope.counted ? this.metrics!.eventType(message.topic, envelope.type) : null;
    if (scope.applied?.has(envelope.id.toLowerCase())) {
      this.stats.duplicatesSkippedInBatches++;
      if (m) scope.counted!.push({ m, outcome: 'duplicate' });
      if (scope.logged) scope.logged.push(this.eventLine(envelope, message, 'duplicate'));
      return { outcome: 'duplicate' };
    }
    const handler = this.router.event(envelope.type, envelope.version);
    if (!handler) {
      if (!this.router.handlesType(envelope.type)) {
        if (m) scope.counted!.push({ m, outcome: 'ignored' });
        return { outcome: 'ignored' };
      }
      throw new BatchAbandoned(`${envelope.type} v${envelope.version} has no handler`);
    }
    if (!scope.runner) {
      const runner = this.dataSource.createQueryRunner();
      scope.runner = runner;
      await runner.connect();
      await runner.startTransaction();
    }
    const tx = scope.runner.manager;
    const claimed = await this.claimInbox(tx, envelope);
    const started = m ? performance.now() : 0;
    await handler(envelope, tx);
    if (m) m.handleSeconds.observe((performance.now() - started) / 1000);
    // the handler's writes cannot be taken back alone: a duplicate in a batch sends it one by one
    if (!(await claimed.isNew())) throw new BatchMetDuplicate();
    if (m) scope.counted!.push({ m, outcome: 'applied' });
    if (scope.logged) scope.logged.push(this.eventLine(envelope, message, 'applied'));
    return { outcome: 'applied' };
  }

  /**
   * Inserts the event's inbox row, deferred: with a pipelining client it goes out with the handler's
   * first statement instead of costing a round trip of its own. The handler therefore runs before it
   * is known whether the event is new; the answer (true: new) is checked before the commit, and a
   * duplicate's transaction is rolled back, the handler's writes with it.
   */
  private async claimInbox(tx: EntityManager, envelope: EventEnvelope<object>): Promise<{ isNew: () => Promise<boolean> }> {
    const inserted = await tx.query(deferred(INSERT_INBOX_SQL), [this.options.service, envelope.id, envelope.type]);
    // (a function, not a promise: asking sends the insert if the handler sent nothing after it)
    return { isNew: () => settledRows(inserted, { sendNow: true }).then((rows) => rows.length > 0) };
  }

  /** Dead-lettering must succeed before the offset moves on: it is retried like any transient failure. */
  private async deadLetter(
    message: FailedMessage,
    code: string,
    reason: string,
    heartbeat: () => Promise<void>,
    envelope?: EventEnvelope<object>,
  ): Promise<void> {
    // the one line of a dead-lettered event: its ids when its envelope could be read, else its key (the order id)
    const ids = envelope ? eventLogFields(envelope, messageTraceId(message.headers)) : { orderId: message.key ?? undefined };
    this.logger.warn({
      msg: `dead-lettering ${message.topic}[${message.partition}]@${message.offset}: ${code}: ${reason}`,
      ...ids,
      outcome: 'dead-lettered',
      code,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deadLetters.send(message, this.options.service, { code, message: reason });
        this.metrics?.deadLettered(message.topic, code);
        return;
      } catch (err) {
        if (this.stopping) throw new ConsumerStoppingError();
        const delay = backoff(attempt);
        this.logger.warn(`dead-letter publish failed (${(err as Error).message}); retrying in ${delay} ms`);
        await this.pause(delay, heartbeat);
      }
    }
  }

  /** The line of an event handled (read in the message's span, whose trace id is current here). */
  private eventLine(
    envelope: EventEnvelope<object>,
    message: Pick<InboundMessage, 'topic' | 'partition' | 'offset' | 'headers'>,
    outcome: EventLine['outcome'],
  ): EventLine {
    return { envelope, traceId: messageTraceId(message.headers), outcome, topic: message.topic, partition: message.partition, offset: message.offset };
  }

  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.stopping) {
      await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
      await heartbeat().catch(() => {});
    }
    if (this.stopping) throw new ConsumerStoppingError();
  }
}

function backoff(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt - 1, 10));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
