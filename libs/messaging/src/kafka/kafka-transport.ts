import { ALL_TOPICS, deadLetterTopicOf } from '@app/contracts';
import { MessagingOptions } from '../messaging.options';
import type { MessageDispatcher } from './inbound-message';
import { createKafka, kafkaClientConfig } from './kafka-client';
import { PrefixedKafkaServer } from './kafka-server';
import { ensureTopics } from './topic-admin';
import { consumerGroupOf, TopicNames } from './topic-names';

/**
 * Creates the saga's topics and their dead-letter topics that do not exist yet. A dead-letter topic gets
 * one partition: it takes few messages and needs no order among them, and every partition a consumer
 * reads is named in each of its fetches (see docs/decisions/007-one-partition-dead-letter-topics.md).
 */
export async function ensureServiceTopics(options: MessagingOptions): Promise<void> {
  const topics = new TopicNames(options.topicPrefix);
  const deadLetterTopics = new Set(ALL_TOPICS.map((t) => topics.physical(deadLetterTopicOf(t))));
  const all = ALL_TOPICS.flatMap((t) => [t, deadLetterTopicOf(t)]).map((t) => topics.physical(t));
  await ensureTopics(
    createKafka(options, options.service),
    all,
    (t) => (deadLetterTopics.has(t) ? 1 : options.topicPartitions),
    options.replicationFactor,
    options.minInsyncReplicas,
  );
}

/**
 * The service's Kafka consumer as a Nest microservice: one group per service and topic prefix (consumerGroupOf),
 * every fetched batch handed to `dispatcher` (the inbox), offsets committed by the server itself after each
 * batch's transaction.
 */
export function createKafkaTransport(options: MessagingOptions, dispatcher: MessageDispatcher): PrefixedKafkaServer {
  const server = new PrefixedKafkaServer(
    {
      client: kafkaClientConfig(options, options.service),
      consumer: {
        groupId: consumerGroupOf(options.service, options.topicPrefix),
        sessionTimeout: options.consumer.sessionTimeoutMs,
        heartbeatInterval: Math.floor(options.consumer.sessionTimeoutMs / 10),
        allowAutoTopicCreation: false,
        // an idle fetch waits this long on the broker; new data answers it at once
        maxWaitTimeInMs: 500,
        // the server restarts crashed consumers itself (and stops doing so when closed)
        retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10000, restartOnFailure: async () => false },
      },
      subscribe: { fromBeginning: true },
      run: {
        partitionsConsumedConcurrently: options.consumer.concurrency,
        // offsets are resolved once their transaction committed, and committed by the server at this
        // interval (0: after every batch), not by kafkajs' autoCommit (see PrefixedKafkaServer.bindEvents)
        ...(options.consumer.commitIntervalMs > 0 ? { autoCommitInterval: options.consumer.commitIntervalMs } : {}),
      },
      parser: { keepBinary: true },
      postfixId: '',
    },
    new TopicNames(options.topicPrefix),
  );
  server.dispatchTo(dispatcher, options.consumer.batchSize);
  return server;
}
