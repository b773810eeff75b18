import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { DeadLetterHeaders, deadLetterTopicOf } from '@app/contracts';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { createKafka } from '../kafka/kafka-client';
import { TopicNames } from '../kafka/topic-names';
import { injectTraceContext } from '../tracing/tracing';

export interface FailedMessage {
  /** Logical topic the message came from. */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | string | null;
  headers: Record<string, string | Buffer | undefined>;
}

/** Copies a message that can never be processed to `<topic>.dlt`, with where it came from and why. */
@Injectable()
export class DeadLetterPublisher implements OnApplicationShutdown {
  private producer: Producer | null = null;
  private connecting: Promise<void> | null = null;
  private readonly topics: TopicNames;

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions) {
    this.topics = new TopicNames(options.topicPrefix);
  }

  async send(message: FailedMessage, consumer: string, error: { code: string; message: string }): Promise<void> {
    const producer = await this.connected();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers)) if (v !== undefined) headers[k] = v.toString();
    Object.assign(headers, {
      [DeadLetterHeaders.OriginalTopic]: this.topics.physical(message.topic),
      [DeadLetterHeaders.OriginalPartition]: String(message.partition),
      [DeadLetterHeaders.OriginalOffset]: message.offset,
      [DeadLetterHeaders.OriginalKey]: message.key ?? '',
      [DeadLetterHeaders.Consumer]: consumer,
      [DeadLetterHeaders.ErrorCode]: error.code,
      [DeadLetterHeaders.ErrorMessage]: error.message.slice(0, 4000),
      [DeadLetterHeaders.FailedAt]: new Date().toISOString(),
    });
    injectTraceContext(headers);
    await producer.send({
      topic: this.topics.physical(deadLetterTopicOf(message.topic)),
      acks: -1,
      messages: [{ key: message.key, value: message.value ?? null, headers }],
    });
  }

  private async connected(): Promise<Producer> {
    if (!this.producer) {
      this.producer = createKafka(this.options, `${this.options.service}-dlt`).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      this.connecting = this.producer.connect().catch((err) => {
        this.producer = null;
        throw err;
      });
    }
    await this.connecting;
    return this.producer!;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
  }
}
