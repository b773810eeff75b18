import type { Admin, Kafka } from 'kafkajs';
import { consumerGroupOf, TopicNames } from '../kafka/topic-names';
import { PartitionLag, partitionLags } from './messaging-metrics';

/**
 * The lag of `service`'s consumer group (the one its transport joins: consumerGroupOf with the prefix of
 * `names`), read from the brokers with one admin client (its committed offsets and the topics' high-water
 * marks), at most once per `maxAgeMs`: a scrape reads it, no consumed message does.
 */
export class ConsumerLagReader {
  private admin: Admin | null = null;
  private last: { at: number; lags: PartitionLag[] } | null = null;
  private reading: Promise<PartitionLag[]> | null = null;
  private readonly groupId: string;

  constructor(
    private readonly kafka: Kafka,
    service: string,
    private readonly topics: () => string[],
    private readonly names: TopicNames,
    private readonly maxAgeMs = 2000,
  ) {
    this.groupId = consumerGroupOf(service, names.prefix);
  }

  /**
   * The lags, read again when older than `maxAgeMs`. A read that takes longer than `waitMs` (the brokers down
   * or slow) answers with the last lags known, so a scrape is not held for kafkajs' retries (none: no sample).
   */
  read(waitMs = 2000): Promise<PartitionLag[]> {
    if (this.last && Date.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.lags);
    const reading = (this.reading ??= this.fetch().finally(() => (this.reading = null)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<PartitionLag[]>((resolve, reject) => {
      timer = setTimeout(() => (this.last ? resolve(this.last.lags) : reject(new Error('consumer lag not read in time'))), waitMs);
      timer.unref();
    });
    return Promise.race([reading, late]).finally(() => clearTimeout(timer));
  }

  private async fetch(): Promise<PartitionLag[]> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const logical = this.topics();
    const physical = logical.map((t) => this.names.physical(t));
    const committed = await this.admin.fetchOffsets({ groupId: this.groupId, topics: physical });
    const lags: PartitionLag[] = [];
    for (let i = 0; i < logical.length; i++) {
      const marks = await this.admin.fetchTopicOffsets(physical[i]);
      const group = committed.find((c) => c.topic === physical[i])?.partitions ?? [];
      lags.push(...partitionLags(logical[i], marks, group));
    }
    this.last = { at: Date.now(), lags };
    return lags;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => {});
  }
}
