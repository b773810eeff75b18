import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { createKafka } from '../kafka/kafka-client';
import { TopicNames } from '../kafka/topic-names';
import { OutboxBacklog, OutboxRelay } from './outbox-relay';
import { KafkaRelayPublisher } from './publisher';

/** Runs the outbox relay inside the service: started on bootstrap, flushed and stopped on shutdown. */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay: OutboxRelay;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly dataSource: DataSource,
  ) {
    const logger = new Logger('OutboxRelay');
    this.relay = new OutboxRelay(
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

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop(3000);
  }

  backlog(): Promise<OutboxBacklog> {
    return OutboxRelay.backlog((sql) => this.dataSource.query(sql));
  }
}
