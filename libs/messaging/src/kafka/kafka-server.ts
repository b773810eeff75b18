import { ServerKafka, KafkaOptions } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { InboundMessage, MessageDispatcher } from './inbound-message';
import { TopicNames } from './topic-names';

/** How long close() waits for a consumer still joining its group to disconnect. */
const JOINING_CLOSE_WAIT_MS = 1000;

/**
 * The consumer's state: 'starting' (not started yet), 'connecting' (to the cluster), 'joining' (connected,
 * not in its group yet: after this service was killed, the broker keeps the dead member, and a new member
 * waits until that one's session expires: KAFKA_SESSION_TIMEOUT_MS), 'connected' (in the group, consuming),
 * 'rebalancing' (in the group, rejoining), 'crashed' (a new consumer is started after a backoff), 'stopped'
 * and 'disconnected'.
 *
 * No static membership: kafkajs 2.2.4 cannot send a `group.instance.id` (KIP-345), which would let a restarted
 * replica take its dead member's place at once (broker.joinGroup() sends no groupInstanceId, the consumer takes
 * no such option), so the wait after a kill -9 stays. A graceful stop sends LeaveGroup (consumer.disconnect()
 * -> runner.stop() -> consumerGroup.leave()), and the next start waits for nothing.
 */
export type ConsumerState = 'starting' | 'connecting' | 'joining' | 'connected' | 'rebalancing' | 'crashed' | 'stopped' | 'disconnected';

/**
 * The Nest Kafka transport (a hybrid app's microservice: connected, started and closed with the app), which
 * hands every fetched batch to the service's dispatcher, the inbox, by logical topic name (it subscribes to
 * the physical, prefixed, names). Nest's per-message routing (`@EventPattern`) is not used: see
 * docs/decisions/019-one-dispatch-path.md.
 * It also remembers the consumer's last state for the readiness check (see `state`).
 */
export class PrefixedKafkaServer extends ServerKafka {
  private consumerState: ConsumerState = 'starting';
  private consumerError: string | null = null;
  private closing = false;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private dispatcher: MessageDispatcher | null = null;
  private maxBatch = 1;
  /** The running consumer's commit functions (from its last batch), for the interval and the shutdown commits. */
  private offsets: Pick<EachBatchPayload, 'commitOffsetsIfNecessary' | 'uncommittedOffsets'> | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> | null = null;

  constructor(
    options: KafkaOptions['options'],
    private readonly topics: TopicNames,
  ) {
    super(options ?? {});
  }

  /**
   * Where fetched messages go. Consecutive messages of one partition, as a fetch returns them, are handled
   * in one transaction of up to `maxBatch` messages; a batch that cannot commit is handled again one message
   * at a time.
   */
  dispatchTo(dispatcher: MessageDispatcher, maxBatch: number): void {
    this.dispatcher = dispatcher;
    this.maxBatch = maxBatch;
  }

  /** The consumer's state, from its own events (Nest's status mixes in the producer's, and says 'connected' before the group is joined). */
  get state(): ConsumerState {
    return this.consumerState;
  }

  /** Why the consumer last crashed or failed to start; cleared once it has joined its group. */
  get lastError(): string | null {
    return this.consumerError;
  }

  /**
   * Starts the consumer (connect, subscribe, join the group: Nest's `startAllMicroservices` waits for all of
   * it). A start that fails (the broker gone since the topics were checked...) is reported to the caller and
   * also tried again, like a crash, until the server is closed: the service keeps serving HTTP meanwhile, and
   * readiness says the consumer crashed, and why.
   */
  override async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    this.consumerState = 'connecting';
    await super.listen((err?: unknown, ...rest: unknown[]) => {
      // closed while starting (a SIGTERM right after the start): the start's failure is the close's doing
      if (err && this.closing) return callback(undefined, ...rest);
      if (err) {
        this.consumerState = 'crashed';
        this.consumerError = (err as Error)?.message ?? String(err);
        this.scheduleRestart();
      }
      callback(err, ...rest);
    });
  }

  /**
   * Nest's start() without its producer: that one only sends replies to request-response patterns, which
   * these services do not use, and would be one more connection to make (and fail) at every start.
   */
  override async start(callback: () => void): Promise<void> {
    if (!this.client) throw new Error('the Kafka client is not created');
    this.consumer = this.client.consumer({ ...(this.options?.consumer ?? {}), groupId: this.groupId });
    this.registerConsumerEventListeners();
    await this.consumer.connect();
    await this.bindEvents(this.consumer);
    callback();
  }

  /**
   * A crashed consumer (broker gone, no group coordinator yet on a fresh broker...) is replaced by a
   * new one, with backoff, until the server is closed: a service never stays up without consuming.
   * kafkajs' own restart is turned off (restartOnFailure) because its timer can outlive disconnect().
   * GROUP_JOIN marks the consumer connected again.
   */
  override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.consumer;
    if (!consumer) return;
    // the state follows the current consumer only (a replaced one may still report its disconnect)
    const track = (state: ConsumerState) => () => {
      if (this.consumer === consumer) this.consumerState = state;
    };
    // connected to the cluster (by connect(), and again by run()): in no group yet
    consumer.on(consumer.events.CONNECT, track('joining'));
    consumer.on(consumer.events.STOP, track('stopped'));
    consumer.on(consumer.events.DISCONNECT, track('disconnected'));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.consumer !== consumer) return;
      this.consumerState = 'connected';
      this.consumerError = null;
      this.restartAttempt = 0;
    });
    // kafkajs found the group rebalancing (an instance joined or left) and is about to rejoin: what
    // this member applied is committed now, while its generation is still accepted; the offsets are
    // read at once, before the rejoin replaces them (kafkajs' autoCommit did this from its heartbeats)
    consumer.on(consumer.events.REBALANCING, () => {
      track('rebalancing')();
      void this.commitOffsets(true);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.consumer === consumer) {
        this.consumerState = 'crashed';
        this.consumerError = event.payload.error?.message ?? 'unknown error';
      }
      if (this.closing) return;
      this.logger.error(`consumer crashed (${event.payload.error?.message}); starting a new one`);
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restartAttempt++, 6));
    this.restartTimer = setTimeout(() => void this.restartConsumer(), delay);
  }

  private async restartConsumer(): Promise<void> {
    if (this.closing || !this.client) return;
    this.offsets = null;
    const consumer = this.client.consumer({ ...(this.options?.consumer ?? {}), groupId: this.groupId });
    try {
      await this.consumer?.disconnect().catch(() => {});
      this.consumer = consumer;
      this.consumerState = 'connecting';
      this.registerConsumerEventListeners();
      await consumer.connect();
      if (!this.closing) await this.bindEvents(consumer);
    } catch (err) {
      if (!this.closing) {
        this.consumerState = 'crashed';
        this.consumerError = (err as Error).message;
        this.logger.warn(`consumer restart failed (${(err as Error).message}); trying again`);
        this.scheduleRestart();
      }
    }
    // close() may have run while this one was connecting: it must not go on consuming
    if (this.closing) await consumer.disconnect().catch(() => {});
  }

  override async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.commitTimer) clearInterval(this.commitTimer);
    // what was applied is committed before the group is left, so a restart does not deliver it again
    await this.commitOffsets(true);
    if (this.consumerState !== 'connecting' && this.consumerState !== 'joining') return super.close();
    // a consumer not in its group yet has nothing to commit, and no member id to leave with (kafkajs learns it
    // from the join's answer), while its disconnect waits for the JoinGroup in flight: after a kill -9 of this
    // service, until the dead member's session has expired, beyond SHUTDOWN_TIMEOUT_MS. It is given a moment,
    // then left to end with the process (the broker drops its pending member after a session)
    const closed = super.close().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, JOINING_CLOSE_WAIT_MS).unref()))]);
    clearTimeout(timer);
  }

  /** Milliseconds between offset commits; 0: after every batch. */
  private get commitInterval(): number {
    return this.options?.run?.autoCommitInterval ?? 0;
  }

  /**
   * Commits the resolved offsets: all of them (`all`: those resolved at the moment of the call, read
   * before anything is awaited, so a rebalance about to replace kafkajs' offset manager cannot take
   * them away), or only once the commit interval has passed since the last commit. One commit at a
   * time: a commit asked for while another runs goes after it. A failed one (a rebalance, the broker
   * gone) is logged, and its events are delivered again later, which the inbox skips.
   */
  private async commitOffsets(all: boolean): Promise<void> {
    const offsets = this.offsets;
    if (!offsets) return;
    const resolved = all ? offsets.uncommittedOffsets() : null;
    while (this.committing) await this.committing;
    this.committing = (resolved ? offsets.commitOffsetsIfNecessary(resolved) : offsets.commitOffsetsIfNecessary())
      .catch((err: Error) => this.logger.warn(`offset commit failed (${err.message}); those events will be delivered again and skipped by the inbox`))
      .finally(() => (this.committing = null));
    await this.committing;
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const logical = this.dispatcher?.topics() ?? [];
    if (logical.length > 0) {
      await consumer.subscribe({ ...(this.options?.subscribe ?? {}), topics: logical.map((t) => this.topics.physical(t)) });
    }
    await consumer.run({
      ...(this.options?.run ?? {}),
      // offsets are resolved by handleBatch itself, each only once its message's transaction committed
      eachBatchAutoResolve: false,
      // and committed by this server: kafkajs' autoCommit commits after every batch whatever
      // autoCommitInterval says (tulios/kafkajs#759), a broker request per batch and per partition
      autoCommit: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    // what the last batches resolved is committed within an interval also when no further batch comes
    if (this.commitInterval > 0 && !this.commitTimer) {
      this.commitTimer = setInterval(() => {
        if (!this.committing) void this.commitOffsets(false);
      }, this.commitInterval);
      this.commitTimer.unref();
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale, commitOffsetsIfNecessary, uncommittedOffsets } = payload;
    const dispatcher = this.dispatcher;
    if (!dispatcher) throw new Error('no dispatcher: call dispatchTo() before the consumer starts');
    this.offsets = { commitOffsetsIfNecessary, uncommittedOffsets };
    // a heartbeat answered "rebalancing" ends this member's generation: what it applied is committed
    // first, while the coordinator still accepts it (kafkajs' autoCommit did this)
    const heartbeat = async () => {
      try {
        await payload.heartbeat();
      } catch (err) {
        await this.commitOffsets(true);
        throw err;
      }
    };
    const topic = this.topics.logical(batch.topic);
    const inbound = (m: KafkaMessage): InboundMessage => ({
      topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key ?? null,
      value: m.value ?? null,
      headers: m.headers ?? {},
      heartbeat,
    });
    let failed = false;
    try {
      for (let start = 0; start < batch.messages.length; start += this.maxBatch) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(start, start + this.maxBatch);
        if (chunk.length > 1 && (await dispatcher.handleInOneTransaction(chunk.map(inbound)))) {
          for (const m of chunk) resolveOffset(m.offset);
          await heartbeat();
        } else {
          for (const m of chunk) {
            if (!isRunning() || isStale()) return;
            await dispatcher.handle(inbound(m));
            resolveOffset(m.offset);
            await heartbeat();
          }
        }
        // commits what is resolved once CONSUMER_COMMIT_INTERVAL_MS has passed (0: now), also within a long fetch
        await this.commitOffsets(this.commitInterval === 0);
      }
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // shutting down (kafkajs waits for this batch before it leaves the group) or failing (the
      // consumer is restarted and its resolved offsets would be dropped): commit what was applied
      if (this.closing || failed) await this.commitOffsets(true);
    }
  }
}
