import { ServerKafka, KafkaOptions } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, EachMessagePayload } from 'kafkajs';
import { TopicNames } from './topic-names';

/** Runs the handling of several messages in one database transaction (the inbox consumer does). */
export interface BatchTransactions {
  /** true: every message was handled and the shared transaction committed; false: all rolled back. */
  inOneTransaction(handleAll: () => Promise<void>): Promise<boolean>;
}

/**
 * The Nest Kafka transport, with `@EventPattern` patterns read as logical topic names: it
 * subscribes to their physical (prefixed) names and routes messages back by logical name.
 * It also remembers the consumer's last state for the readiness check.
 */
export class PrefixedKafkaServer extends ServerKafka {
  private consumerState = 'starting';
  private closing = false;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private batches: BatchTransactions | null = null;
  private maxBatch = 1;

  constructor(
    options: KafkaOptions['options'],
    private readonly topics: TopicNames,
  ) {
    super(options ?? {});
    this.status.subscribe((s) => (this.consumerState = s));
  }

  /**
   * Consecutive messages of one partition, as a fetch returns them, are handled in one transaction
   * of up to `maxBatch` messages; a batch that cannot commit is handled again one message at a time.
   */
  useBatchTransactions(batches: BatchTransactions, maxBatch: number): void {
    this.batches = batches;
    this.maxBatch = maxBatch;
  }

  get state(): string {
    return this.consumerState;
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
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.consumerState = 'connected';
      this.restartAttempt = 0;
    });
    consumer.on(consumer.events.CRASH, (event) => {
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
    const consumer = this.client.consumer({ ...(this.options?.consumer ?? {}), groupId: this.groupId });
    try {
      await this.consumer?.disconnect().catch(() => {});
      this.consumer = consumer;
      this.registerConsumerEventListeners();
      await consumer.connect();
      if (!this.closing) await this.bindEvents(consumer);
    } catch (err) {
      if (!this.closing) {
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
    await super.close();
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const logical = [...this.messageHandlers.keys()];
    if (logical.length > 0) {
      await consumer.subscribe({ ...(this.options?.subscribe ?? {}), topics: logical.map((t) => this.topics.physical(t)) });
    }
    await consumer.run({
      ...(this.options?.run ?? {}),
      // offsets are resolved by handleBatch itself, each only once its message's transaction committed
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, pause, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const handle = (message: EachBatchPayload['batch']['messages'][number]) =>
      this.handleMessage({ topic: batch.topic, partition: batch.partition, message, heartbeat, pause });
    const size = this.batches ? this.maxBatch : 1;
    for (let start = 0; start < batch.messages.length; start += size) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + size);
      const handleAll = async () => {
        for (const m of chunk) {
          await handle(m);
          await heartbeat(); // kafkajs sends one only every heartbeatInterval: a long batch keeps its partitions
        }
      };
      if (chunk.length > 1 && this.batches && (await this.batches.inOneTransaction(handleAll))) {
        for (const m of chunk) resolveOffset(m.offset);
        await heartbeat();
      } else {
        for (const m of chunk) {
          if (!isRunning() || isStale()) return;
          await handle(m);
          resolveOffset(m.offset);
          await heartbeat();
        }
      }
      // commits what is resolved once CONSUMER_COMMIT_INTERVAL_MS has passed, also within a long fetch
      await commitOffsetsIfNecessary();
    }
  }

  override async handleMessage(payload: EachMessagePayload): Promise<any> {
    return super.handleMessage({ ...payload, topic: this.topics.logical(payload.topic) });
  }
}
