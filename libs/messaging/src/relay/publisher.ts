import { CompressionTypes, Kafka, Message, Producer } from 'kafkajs';
import { TopicNames } from '../kafka/topic-names';

/** A claimed outbox row, ready to send. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: string;
  headers: Record<string, string>;
}

/** Sends rows and resolves only once the broker has acknowledged every one of them. */
export interface RelayPublisher {
  connect(): Promise<void>;
  publish(rows: OutboxRow[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Idempotent kafkajs producer, acks from all in-sync replicas, one batch in flight at a time.
 * Each connect() makes a new producer: after a failed batch, the old one's sequence numbers may
 * no longer match the broker's (OUT_OF_ORDER_SEQUENCE_NUMBER on every later send).
 */
export class KafkaRelayPublisher implements RelayPublisher {
  private producer: Producer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: TopicNames,
  ) {}

  async connect(): Promise<void> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    await producer.connect();
    this.producer = producer;
  }

  async publish(rows: OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const topic = this.topics.physical(row.topic);
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push({ key: row.key, value: row.payload, headers: row.headers });
    }
    if (!this.producer) throw new Error('the relay publisher is not connected');
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect();
  }
}
