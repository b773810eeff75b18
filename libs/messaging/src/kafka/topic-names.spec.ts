import type { MessagingOptions } from '../messaging.options';
import { createKafkaTransport } from './kafka-transport';
import { consumerGroupOf, TopicNames } from './topic-names';

describe('topic and consumer group names', () => {
  it('prefixes topics, and reads logical names back', () => {
    const names = new TopicNames('staging.');
    expect(names.physical('orders.events')).toBe('staging.orders.events');
    expect(names.logical('staging.orders.events')).toBe('orders.events');
    expect(new TopicNames().physical('orders.events')).toBe('orders.events');
  });

  it('names a consumer group prefix + service: without a prefix, the service name as before', () => {
    expect(consumerGroupOf('orders', '')).toBe('orders');
    expect(consumerGroupOf('orders')).toBe('orders');
    expect(consumerGroupOf('orders', 'staging.')).toBe('staging.orders');
  });

  it("the service's transport joins that group", () => {
    const dispatcher = { topics: () => [], handle: async () => {}, handleInOneTransaction: async () => true };
    const options = (topicPrefix: string) =>
      ({
        service: 'inventory',
        brokers: ['127.0.0.1:1'],
        topicPrefix,
        consumer: { concurrency: 1, sessionTimeoutMs: 10_000, commitIntervalMs: 0, batchSize: 1 },
      }) as MessagingOptions;
    const groupOf = (prefix: string) => (createKafkaTransport(options(prefix), dispatcher) as unknown as { groupId: string }).groupId;
    expect(groupOf('')).toBe('inventory');
    expect(groupOf('t1.')).toBe('t1.inventory');
  });
});
