/** What the messaging machinery needs to know; services build it from their validated config. */
export interface MessagingOptions {
  /** Service name: Kafka client id, consumer group, inbox consumer name. */
  service: string;
  brokers: string[];
  topicPrefix: string;
  topicPartitions: number;
  replicationFactor: number;
  /** min.insync.replicas of the topics the service creates (unset: the broker's default). */
  minInsyncReplicas?: number;
  /** The service's own database (the outbox and inbox tables live there). */
  databaseUrl: string;
  outbox: {
    /** Keys hash into this many lanes; each lane is relayed by one instance at a time. Same on every replica. */
    lanes: number;
    batchSize: number;
    pollIntervalMs: number;
    backlogMaxAgeMs: number;
  };
  inbox: {
    /** Inbox rows older than this are deleted (0: kept forever); keep it above the topics' retention. */
    retentionHours: number;
  };
  consumer: {
    concurrency: number;
    /** Offsets are committed at most this often (0: after every batch); the inbox absorbs re-deliveries. */
    commitIntervalMs: number;
    /** Messages of one partition applied in one database transaction at most (1: one transaction per message). */
    batchSize: number;
    sessionTimeoutMs: number;
  };
  verboseKafkaLogs?: boolean;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
