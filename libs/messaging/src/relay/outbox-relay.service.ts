import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { OUTBOX_ENQUEUED, OutboxWakePolicy } from '../outbox/outbox.service';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { createKafka } from '../kafka/kafka-client';
import { TopicNames } from '../kafka/topic-names';
import { OutboxBacklog, OutboxRelay } from './outbox-relay';
import { KafkaRelayPublisher } from './publisher';
import { parseXid } from './snapshot';

/**
 * Runs the outbox relay inside the service: started on bootstrap, flushed and stopped on shutdown.
 * It also listens to this process's TypeORM commits: a transaction that enqueued events wakes the
 * relay as soon as it committed. Commits NOTIFY only while other relays run over the same outbox
 * (replicas, RELAY_ONLY instances), whose lanes this process's wake cannot reach; both wakes name the
 * transaction, so the relay claims once per commit, not once per wake.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown, EntitySubscriberInterface, OutboxWakePolicy {
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
    dataSource.subscribers.push(this);
  }

  notifyOtherRelays(): boolean {
    return !this.relay.alone();
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown>;
    const enqueued = data[OUTBOX_ENQUEUED];
    if (!enqueued) return;
    delete data[OUTBOX_ENQUEUED];
    this.relay.wake(parseXid(enqueued));
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
