import type { Kafka } from 'kafkajs';
import { TopicNames } from '../kafka/topic-names';
import { ConsumerLagReader } from './consumer-lag';

function fakeKafka(delayMs: () => number) {
  const admin = {
    connect: jest.fn(async () => {}),
    disconnect: jest.fn(async () => {}),
    fetchOffsets: jest.fn(async () => {
      await new Promise((r) => setTimeout(r, delayMs()));
      return [{ topic: 'p.orders.events', partitions: [{ partition: 0, offset: '3' }] }];
    }),
    fetchTopicOffsets: jest.fn(async () => [{ partition: 0, offset: '10', high: '10', low: '0' }]),
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, admin };
}

describe('ConsumerLagReader', () => {
  it("reads the lag of each partition of the deployment's group with physical names, labelled with logical ones, and caches it", async () => {
    const { kafka, admin } = fakeKafka(() => 0);
    const reader = new ConsumerLagReader(kafka, 'inventory', () => ['orders.events'], new TopicNames('p.'), 60_000);
    expect(await reader.read()).toEqual([{ topic: 'orders.events', partition: '0', lag: 7 }]);
    await reader.read();
    expect(admin.fetchOffsets).toHaveBeenCalledTimes(1);
    // the group the transport joins: the prefix in front of the service name
    expect(admin.fetchOffsets).toHaveBeenCalledWith({ groupId: 'p.inventory', topics: ['p.orders.events'] });
    await reader.close();
    expect(admin.disconnect).toHaveBeenCalled();
  });

  it('a slow read answers with the last lags known, or fails when there are none', async () => {
    let delay = 200;
    const { kafka } = fakeKafka(() => delay);
    const reader = new ConsumerLagReader(kafka, 'inventory', () => ['orders.events'], new TopicNames('p.'), 0);
    await expect(reader.read(20)).rejects.toThrow(/not read in time/);
    delay = 0;
    await new Promise((r) => setTimeout(r, 250));
    expect(await reader.read(20)).toHaveLength(1);
    delay = 200;
    expect(await reader.read(20)).toEqual([{ topic: 'orders.events', partition: '0', lag: 7 }]);
  });
});
