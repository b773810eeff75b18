import { Kafka } from 'kafkajs';
import { Logger } from '@nestjs/common';

/**
 * Creates the topics that do not exist yet (broker auto-creation is off). Safe to call from
 * every service and replica at start-up: an existing topic is left as it is.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions: number | ((topic: string) => number), replicationFactor: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: typeof partitions === 'number' ? partitions : partitions(topic), replicationFactor })),
      });
    } catch (err) {
      // another replica may have created them in between; only fail when some are still missing
      const now = new Set(await admin.listTopics());
      if (missing.some((t) => !now.has(t))) throw err;
    }
    new Logger('Kafka').log(`created topics: ${missing.join(', ')}`);
  } finally {
    await admin.disconnect();
  }
}
