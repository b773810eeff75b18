import { CompressionTypes, ICustomPartitioner, Kafka, Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';
import { TopicNames } from '../kafka/topic-names';
import { endSendSpans, SendSpan, startSendSpan, tracingEnabled } from '../tracing/tracing';

/** A claimed outbox row, ready to send. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: string;
  headers: Record<string, string>;
  /** The W3C trace context the row was written in (claimed only with tracing on; null when it was written without). */
  traceParent?: string | null;
  traceState?: string | null;
}

/** Sends rows and resolves only once the broker has acknowledged every one of them. */
export interface RelayPublisher {
  connect(): Promise<void>;
  publish(rows: OutboxRow[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * sendBatch() resolved, but some partition a message was sent to is not in its answer: kafkajs 2.2.4 left it
 * unsent (a leader failover during the send, see KafkaRelayPublisher.publish). Not permanent: the rows are
 * kept and sent again (to a fresh producer: the relay renews it after an error of a Kafka client).
 */
export class UnacknowledgedPartitionsError extends Error {
  override readonly name = 'UnacknowledgedPartitionsError';
  constructor(readonly partitions: string[]) {
    super(`Kafka acknowledged the send without ${partitions.length === 1 ? 'partition' : 'partitions'} ${partitions.join(', ')}: the batch is kept and sent again`);
  }
}

/**
 * Idempotent kafkajs producer, acks from all in-sync replicas, one batch in flight at a time.
 * Each connect() makes a new producer: after a failed batch, the old one's sequence numbers may
 * no longer match the broker's (OUT_OF_ORDER_SEQUENCE_NUMBER on every later send).
 */
export class KafkaRelayPublisher implements RelayPublisher {
  private producer: Producer | null = null;
  /** The partitions the producer's partitioner put each message of a send in (every attempt of the send). */
  private readonly assigned = new WeakMap<Message, Set<number>>();

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
      createPartitioner: this.recordingPartitioner(),
    });
    await producer.connect();
    this.producer = producer;
  }

  /**
   * Resolves only when every partition the batch went to is in the broker's answer, acknowledged. kafkajs
   * 2.2.4's sendBatch() may resolve without having sent some of them: it keeps each broker's answer across its
   * retries and retries only to brokers that have not answered, so the messages of a partition whose leader
   * died during the send, and moved to a broker that had already answered for its own partitions, are never
   * sent again (tulios/kafkajs#1303; docs/decisions/020-kafkajs-failover-guard.md). Their partition is then
   * missing from the answer: that send fails here, and the drain keeps (and later re-sends) the rows.
   */
  async publish(rows: OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    // tracing on: a PRODUCER span per row, child of the context the row was written in, whose traceparent the
    // message carries (one per row, not one per batch: each event continues its own order's trace)
    const spans: SendSpan[] | null = tracingEnabled() ? [] : null;
    for (const row of rows) {
      const topic = this.topics.physical(row.topic);
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      const traced = spans && startSendSpan(row);
      if (traced) spans!.push(traced);
      const message: Message = { key: row.key, value: row.payload, headers: traced ? traced.headers : row.headers };
      this.assigned.set(message, new Set());
      messages.push(message);
    }
    try {
      if (!this.producer) throw new Error('the relay publisher is not connected');
      const acknowledged = await this.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      assertAcknowledged(byTopic, (m) => this.assigned.get(m), acknowledged);
    } catch (err) {
      if (spans) endSendSpans(spans, err);
      throw err;
    }
    if (spans) endSendSpans(spans);
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect();
  }

  /** kafkajs' default partitioner (murmur2 of the key, as Java's), noting the partition of each message sent. */
  private recordingPartitioner(): ICustomPartitioner {
    return () => {
      const partition = Partitioners.DefaultPartitioner();
      return (args) => {
        const chosen = partition(args);
        this.assigned.get(args.message)?.add(chosen);
        return chosen;
      };
    };
  }
}

/**
 * Throws unless every message went to one partition (in every attempt of the send) and that partition is in
 * the broker's answer with no error. A partition in the answer was acknowledged, with acks=all, for all the
 * messages that were put in it: the batch of a partition always holds every message the partitioner put there.
 * A message put in two partitions (the topic grew during the send) may be in neither answer: the send fails.
 */
export function assertAcknowledged(
  byTopic: ReadonlyMap<string, readonly Message[]>,
  partitionsOf: (message: Message) => ReadonlySet<number> | undefined,
  acknowledged: readonly RecordMetadata[],
): void {
  const acked = new Set(acknowledged.filter((r) => r.errorCode === 0).map((r) => `${r.topicName}/${r.partition}`));
  const missing = new Set<string>();
  for (const [topic, messages] of byTopic) {
    for (const message of messages) {
      const partitions = [...(partitionsOf(message) ?? [])];
      if (partitions.length !== 1) {
        missing.add(`${topic}/${partitions.length === 0 ? '?' : partitions.join('|')}`);
        continue;
      }
      const name = `${topic}/${partitions[0]}`;
      if (!acked.has(name)) missing.add(name);
    }
  }
  if (missing.size > 0) throw new UnacknowledgedPartitionsError([...missing].sort());
}
