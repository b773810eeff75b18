import { Logger } from '@nestjs/common';
import { MessagingOptions } from '../messaging.options';
import { createKafka } from '../kafka/kafka-client';
import { TopicNames } from '../kafka/topic-names';
import { OutboxRelay } from './outbox-relay';
import { KafkaRelayPublisher } from './publisher';

/** The service's outbox relay (in the service, or alone with RELAY_ONLY), logging through Nest's logger. */
export function createOutboxRelay(options: MessagingOptions): OutboxRelay {
  const logger = new Logger('OutboxRelay');
  return new OutboxRelay(
    {
      databaseUrl: options.databaseUrl,
      lanes: options.outbox.lanes,
      batchSize: options.outbox.batchSize,
      pollIntervalMs: options.outbox.pollIntervalMs,
      logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    },
    new KafkaRelayPublisher(createKafka(options, `${options.service}-relay`), new TopicNames(options.topicPrefix)),
  );
}
