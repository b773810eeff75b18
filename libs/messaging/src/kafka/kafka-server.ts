import { Logger } from '@nestjs/common';
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
   * kafkajs restarts a crashed consumer by itself and then only says so with GROUP_JOIN, so that
   * event marks it connected again. A crash it will not restart from leaves a service that can
   * no longer consume: it shuts down so that the orchestrator (or npm start) can start it again.
   */
  override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.consumer;
    if (!consumer) return;
    consumer.on(consumer.events.GROUP_JOIN, () => (this.consumerState = 'connected'));
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      new Logger('Kafka').error(`consumer crashed and will not restart (${event.payload.error?.message}); shutting down`);
      process.kill(process.pid, 'SIGTERM');
    });
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
