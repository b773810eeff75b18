import { Admin, Kafka } from 'kafkajs';
import { Logger } from '@nestjs/common';

/**
 * Creates the topics that do not exist yet (broker auto-creation is off), with `replicationFactor` replicas
 * and, when given, `min.insync.replicas`. Safe to call from every service and replica at start-up: an
 * existing topic is left as it is. Returns once every partition of the topics it created has a leader.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  partitions: number | ((topic: string) => number),
  replicationFactor: number,
  minInsyncReplicas?: number,
): Promise<void> {
  const configEntries = minInsyncReplicas ? [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }] : [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        // (kafkajs' own wait gives up when the broker it asks has not heard of a new topic yet, as on a cluster)
        waitForLeaders: false,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: typeof partitions === 'number' ? partitions : partitions(topic),
          replicationFactor,
          configEntries,
        })),
      });
    } catch (err) {
      // another replica may have created them in between; only fail when some are still missing
      const now = new Set(await admin.listTopics());
      if (missing.some((t) => !now.has(t))) throw err;
    }
    await waitForLeaders(admin, missing);
    new Logger('Kafka').log(`created topics: ${missing.join(', ')}`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of `topics` has a leader. On a cluster, a topic just created reaches each
 * broker's metadata a little later: until then a broker answers UNKNOWN_TOPIC_OR_PARTITION, and is asked again.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      last = null;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`the partitions of ${topics.join(', ')} had no leader after ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
