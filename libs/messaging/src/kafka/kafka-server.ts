import { ServerKafka, KafkaOptions } from '@nestjs/microservices';
import type { Consumer, EachMessagePayload } from 'kafkajs';
import { TopicNames } from './topic-names';

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

  constructor(
    options: KafkaOptions['options'],
    private readonly topics: TopicNames,
  ) {
    super(options ?? {});
    this.status.subscribe((s) => (this.consumerState = s));
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
    await consumer.run({ ...(this.options?.run ?? {}), eachMessage: (payload) => this.handleMessage(payload) });
  }

  override async handleMessage(payload: EachMessagePayload): Promise<any> {
    return super.handleMessage({ ...payload, topic: this.topics.logical(payload.topic) });
  }
}
