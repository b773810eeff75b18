import { Topics } from '@app/contracts';
import { freePort, readTopics, sharedInfra, spawnService, SpawnedService, uniqueTopicPrefix } from '@app/testing';
import { createOutboxDb, createTopics, OutboxDb, sequenced, uuids } from './harness';

describe('a service started with RELAY_ONLY=true', () => {
  const { brokers } = sharedInfra();
  let db: OutboxDb;
  let relay: SpawnedService | undefined;

  afterAll(async () => {
    await relay?.stop();
    await db?.close();
  });

  it('runs just the outbox relay: committed events reach Kafka, and it stops cleanly on SIGTERM', async () => {
    const prefix = uniqueTopicPrefix();
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
    const keys = uuids(5);
    await db.dataSource.transaction((tx) =>
      db.outbox.enqueue(
        tx,
        keys.map((k) => sequenced(k, 0)),
      ),
    );

    relay = await spawnService(
      'orders',
      { DATABASE_URL: db.url, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, RELAY_ONLY: 'true', PORT: String(await freePort()), LOG_LEVEL: 'log' },
      { waitReady: false },
    );
    const messages = await readTopics(brokers, [`${prefix}${Topics.OrdersEvents}`], { expected: 5 });
    expect(messages.map((m) => m.key!.toString()).sort()).toEqual([...keys].sort());
    expect(await fetch(relay.url + '/health/live').catch(() => null)).toBeNull(); // no HTTP server in this mode
    expect(await relay.stop()).toBe(0);
    expect(relay.logs()).toMatch(/relay stopped after publishing 5 events/);
  });
});
