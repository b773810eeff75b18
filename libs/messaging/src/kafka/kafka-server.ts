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
