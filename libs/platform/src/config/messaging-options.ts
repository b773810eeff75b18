import { MessagingOptions } from '@app/messaging';
import { BaseConfig } from './base.config';

export function messagingOptionsFrom(service: string, config: BaseConfig): MessagingOptions {
  return {
    service,
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    topicPartitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS || defaultMinInsyncReplicas(config.KAFKA_REPLICATION_FACTOR),
    databaseUrl: config.DATABASE_URL,
    outbox: {
      lanes: config.OUTBOX_LANES,
      batchSize: config.OUTBOX_BATCH_SIZE,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      backlogMaxAgeMs: config.OUTBOX_BACKLOG_MAX_AGE_MS,
    },
    inbox: { retentionHours: config.INBOX_RETENTION_HOURS },
    consumer: {
      concurrency: config.CONSUMER_CONCURRENCY,
      commitIntervalMs: config.CONSUMER_COMMIT_INTERVAL_MS,
      batchSize: config.CONSUMER_BATCH_SIZE,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    },
    verboseKafkaLogs: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'verbose',
  };
}

/** min.insync.replicas for a replication factor, unless set: 2 from 3 replicas (one may fail, a write is on two), else 1. */
export function defaultMinInsyncReplicas(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}
