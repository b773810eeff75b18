import { Kafka, KafkaMessage, logLevel, Message } from 'kafkajs';
import { randomBytes } from 'node:crypto';

export function testKafka(brokers: string): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({ clientId: 'test', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

export async function produce(brokers: string, topic: string, messages: Message[]): Promise<void> {
  const producer = testKafka(brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

export type ReadMessage = KafkaMessage & {
  topic: string;
  partition: number;
};

/**
 * Reads `topics` from the beginning until `expected` messages arrived (or, with `idleMs`, until
 * nothing more came for that long), then returns them in partition order.
 */
export async function readTopics(brokers: string, topics: string[], { expected, timeoutMs = 60_000, idleMs }: { expected?: number; timeoutMs?: number; idleMs?: number }): Promise<ReadMessage[]> {
  const consumer = testKafka(brokers).consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const messages: ReadMessage[] = [];
  let lastAt = Date.now();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) messages.push({ ...m, topic: batch.topic, partition: batch.partition });
        lastAt = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (expected !== undefined && messages.length >= expected) break;
      if (idleMs !== undefined && messages.length > 0 && Date.now() - lastAt > idleMs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (expected !== undefined && messages.length < expected) {
      throw new Error(`read ${messages.length} of ${expected} expected messages from ${topics.join(', ')} in ${timeoutMs} ms`);
    }
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Reads `topics` from the beginning up to the end they have now (every partition's high watermark, read
 * first), however many messages that is: what a check of "everything on the log" needs, where duplicates
 * make a count meaningless.
 */
export async function readToEnd(brokers: string, topics: string[], { timeoutMs = 120_000 } = {}): Promise<ReadMessage[]> {
  const kafka = testKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > 0) ends.set(`${topic}/${p.partition}`, Number(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  const messages: ReadMessage[] = [];
  if (ends.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100, maxBytes: 64 * 1024 * 1024 });
  await consumer.connect();
  const remaining = new Set(ends.keys());
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const name = `${batch.topic}/${batch.partition}`;
        const end = ends.get(name) ?? 0;
        for (const m of batch.messages) if (Number(m.offset) < end) messages.push({ ...m, topic: batch.topic, partition: batch.partition });
        if (batch.messages.length > 0 && Number(batch.lastOffset()) + 1 >= end) remaining.delete(name);
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (remaining.size > 0) {
      if (Date.now() > deadline) throw new Error(`could not read ${[...remaining].join(', ')} to its end in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return messages.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition || Number(a.offset) - Number(b.offset) : a.topic < b.topic ? -1 : 1));
  } finally {
    await consumer.disconnect();
  }
}
