import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Topics } from '@app/contracts';
import { Client } from 'pg';
import { infra, readTopics, sharedInfra, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { Outbox, OutboxRelayService } from '../src';
import { OUTBOX_NOTIFY_CHANNEL } from '../src/outbox/outbox.sql';
import { OutboxRelay } from '../src/relay/outbox-relay';
import {
  createOutboxDb,
  createTopics,
  enqueueSequences,
  firstOccurrences,
  messagingOptions,
  OutboxDb,
  range,
  sequenced,
  sequencesByKey,
  startRelay,
  uuids,
} from './harness';

const topicOf = (prefix: string) => `${prefix}${Topics.OrdersEvents}`;

describe('outbox relay (real Kafka, real PostgreSQL)', () => {
  const { brokers } = sharedInfra();
  let db: OutboxDb;
  const relays: OutboxRelay[] = [];

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await db?.close();
  });

  /**
   * The service's relay over a fresh outbox and topics, subscribed to the data source's commits, with the
   * outbox wired to it as the service module does; no poll during a test: what is published in time was woken.
   */
  async function startServiceRelay() {
    const prefix = uniqueTopicPrefix();
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
    const options = messagingOptions(db.url, brokers, prefix);
    const service = new OutboxRelayService({ ...options, outbox: { ...options.outbox, pollIntervalMs: 600_000 } }, db.dataSource);
    const outbox = new Outbox(options, service);
    await service.onApplicationBootstrap();
    relays.push(service.relay);
    return { prefix, service, outbox };
  }

  it('publishes a committed event exactly once, and nothing for a rolled-back transaction', async () => {
    const prefix = uniqueTopicPrefix();
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
    relays.push(startRelay(db.url, brokers, prefix));
    const [committedKey, rolledBackKey] = uuids(2);

    await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(committedKey, 1)]));
    await expect(
      db.dataSource.transaction(async (tx) => {
        await db.outbox.enqueue(tx, [sequenced(rolledBackKey, 2)]);
        throw new Error('business rule failed after the enqueue');
      }),
    ).rejects.toThrow('business rule failed');

    // read until nothing more arrives for 3 s after the first message
    const messages = await readTopics(brokers, [topicOf(prefix)], { idleMs: 3000, timeoutMs: 30_000 });
    expect(messages.map((m) => m.key!.toString())).toEqual([committedKey]);
    expect(JSON.parse(messages[0].value!.toString())).toMatchObject({ type: 'OrderCancelled', orderId: committedKey, data: { reason: 'seq:1' } });
    expect(messages[0].headers!['event-type']!.toString()).toBe('OrderCancelled');
    expect(await db.dataSource.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 0 }]);
  });

  it('claims once per commit although each commit wakes the relay twice (its own process, then NOTIFY)', async () => {
    const { prefix, service } = await startServiceRelay();
    await waitUntil('the relay to own its lanes', () => service.relay.stats.ownedLanes === 16);
    await new Promise((r) => setTimeout(r, 300)); // the start-up claim and its wakes are over
    const emptyBefore = service.relay.stats.emptyClaims;

    const keys = uuids(20);
    for (const [i, key] of keys.entries()) {
      await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(key, i)]));
      await waitUntil(`event ${i + 1} to be published`, () => service.relay.stats.published === i + 1);
      await new Promise((r) => setTimeout(r, 20)); // room for the second wake of this commit to arrive
    }

    const messages = await readTopics(brokers, [topicOf(prefix)], { expected: 20, timeoutMs: 30_000 });
    expect(messages.map((m) => m.key!.toString()).sort()).toEqual([...keys].sort());
    // without telling commits apart, every publish was followed by an empty claim (20 here)
    expect(service.relay.stats.emptyClaims - emptyBefore).toBe(0);
    expect(service.relay.stats.batches).toBe(20);
  });

  it('deletes a published batch with its next claim or, when none comes, on its own: a quiet relay holds no transaction, and stop leaves the outbox empty', async () => {
    const { prefix, service } = await startServiceRelay();
    await waitUntil('the relay to own its lanes', () => service.relay.stats.ownedLanes === 16);
    const outboxKeys = async () => (await db.dataSource.query('SELECT message_key AS key FROM outbox ORDER BY id')).map((r: { key: string }) => r.key);
    const relaySession = async () =>
      (await db.dataSource.query(`SELECT state FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'outbox-relay'`)).map(
        (r: { state: string }) => r.state,
      );
    const [first, second] = uuids(2);

    await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(first, 1)]));
    await waitUntil('the first event to be published', () => service.relay.stats.published === 1);
    // no claim follows (no poll in this test): the relay deletes the row on its own and ends its transaction
    await waitUntil(
      'the relay to delete its row and end its transaction',
      async () => (await outboxKeys()).length === 0 && (await relaySession())[0] === 'idle',
    );

    await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(second, 2)]));
    await waitUntil('the second event to be published', () => service.relay.stats.published === 2);
    await service.relay.stop();
    expect(await outboxKeys()).toEqual([]);
    // each once: nothing was published again
    const messages = await readTopics(brokers, [topicOf(prefix)], { idleMs: 2000, timeoutMs: 30_000 });
    expect(messages.map((m) => m.key!.toString()).sort()).toEqual([first, second].sort());
  });

  it('commits NOTIFY only while another relay runs over the outbox; the only relay is woken by its own process', async () => {
    const { prefix, service, outbox } = await startServiceRelay();
    const listener = new Client({ connectionString: db.url });
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.connect();
    await listener.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    try {
      await waitUntil('the relay to count itself alone and own every lane', () => service.relay.stats.members === 1 && service.relay.stats.ownedLanes === 16);
      const alone = uuids(5);
      for (const [i, key] of alone.entries()) {
        await db.dataSource.transaction((tx) => outbox.enqueue(tx, [sequenced(key, 0)]));
        await waitUntil(`event ${i + 1} to be published`, () => service.relay.stats.published === i + 1, { timeoutMs: 5000 });
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(notified).toEqual([]);

      // a second relay (a replica): lanes are shared, and commits tell it through NOTIFY
      const other = startRelay(db.url, brokers, prefix);
      relays.push(other);
      // (an idle relay rebalances when its loop runs: the poll does that, here the wakes stand in for it)
      await waitUntil(
        'both relays to count two members and share the lanes',
        () => {
          service.relay.wake();
          return service.relay.stats.members === 2 && other.stats.ownedLanes > 0;
        },
        { timeoutMs: 15_000 },
      );
      const shared = uuids(10);
      for (const key of shared) await db.dataSource.transaction((tx) => outbox.enqueue(tx, [sequenced(key, 0)]));
      await waitUntil('every event to be published by one relay or the other', () => service.relay.stats.published + other.stats.published === 15, {
        timeoutMs: 5000,
      });
      expect(notified).toHaveLength(10);
      expect(other.stats.published).toBeGreaterThan(0);
      const messages = await readTopics(brokers, [topicOf(prefix)], { expected: 15, timeoutMs: 30_000 });
      expect(messages.map((m) => m.key!.toString()).sort()).toEqual([...alone, ...shared].sort());
    } finally {
      await listener.end();
    }
  });

  it('wakes the relay for an event enqueued in a nested transaction (a savepoint) when the outermost transaction commits', async () => {
    // alone (no NOTIFY): an event published in time was published on its commit's wake
    const { prefix, service, outbox } = await startServiceRelay();
    await waitUntil('the relay to count itself alone and own every lane', () => service.relay.stats.members === 1 && service.relay.stats.ownedLanes === 16);
    const [key] = uuids(1);

    await db.dataSource.transaction(async (tx) => {
      await tx.transaction((inner) => outbox.enqueue(inner, [sequenced(key, 0)])); // SAVEPOINT ... RELEASE SAVEPOINT
      // the transaction goes on after the release: a wake sent at the release claims before the event is visible
      await new Promise((r) => setTimeout(r, 300));
    });

    // without waiting for the outermost COMMIT, the wake was spent at the release and the event waited for the poll
    await waitUntil('the event to be published', () => service.relay.stats.published === 1, { timeoutMs: 5000 });
    const messages = await readTopics(brokers, [topicOf(prefix)], { expected: 1, timeoutMs: 30_000 });
    expect(messages.map((m) => m.key!.toString())).toEqual([key]);
  });

  it('queues the NOTIFY again after a savepoint that held the first one was rolled back', async () => {
    db = await createOutboxDb();
    const options = messagingOptions(db.url, 'localhost:1', uniqueTopicPrefix());
    new OutboxRelayService(options, db.dataSource); // subscribes to the data source's transactions, as in the service
    const outbox = new Outbox(options, { notifyOtherRelays: () => true }); // other relays run: every commit notifies
    const listener = new Client({ connectionString: db.url });
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.connect();
    await listener.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    try {
      const [dropped, kept] = uuids(2);
      await db.dataSource.transaction(async (tx) => {
        await expect(
          tx.transaction(async (inner) => {
            await outbox.enqueue(inner, [sequenced(dropped, 0)]); // queues the transaction's NOTIFY, inside the savepoint
            throw new Error('business rule failed after the enqueue');
          }),
        ).rejects.toThrow('business rule failed');
        await outbox.enqueue(tx, [sequenced(kept, 0)]);
      });

      expect(await db.dataSource.query('SELECT message_key AS key FROM outbox')).toEqual([{ key: kept }]);
      // without queueing it again, the rolled-back savepoint took the only NOTIFY along and no other relay heard of the commit
      await waitUntil('the commit to be notified', () => notified.length === 1, { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 200));
      expect(notified).toHaveLength(1);
    } finally {
      await listener.end();
    }
  });

  it('quarantines a row the broker refuses for good, holds back the rest of its key, and publishes every other key', async () => {
    const prefix = uniqueTopicPrefix();
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
    const [good, poisoned, other] = uuids(3);
    await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(good, 0), sequenced(poisoned, 0)]));
    // a row the broker will refuse (over its 1 MB message limit), e.g. written by an older version
    await db.dataSource.query(`UPDATE outbox SET payload = payload || repeat(' ', 1200000) WHERE message_key = $1`, [poisoned]);
    await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, [sequenced(poisoned, 1), sequenced(other, 0), sequenced(good, 1)]));

    relays.push(startRelay(db.url, brokers, prefix));
    await waitUntil('the poisoned row to be quarantined', () => relays[0].stats.quarantined === 1, { timeoutMs: 30_000 });
    const messages = await readTopics(brokers, [topicOf(prefix)], { idleMs: 2000, timeoutMs: 30_000 });
    const byKey = sequencesByKey(messages);
    // the refused batch may have reached some partitions before it failed: those are re-sent (at-least-once)
    expect(firstOccurrences(byKey.get(good)!)).toEqual([0, 1]);
    expect(firstOccurrences(byKey.get(other)!)).toEqual([0]);
    expect(byKey.has(poisoned)).toBe(false);

    const rows = await db.dataSource.query(`SELECT message_key, quarantined_at IS NOT NULL AS quarantined, last_error FROM outbox ORDER BY id`);
    expect(rows).toEqual([
      { message_key: poisoned, quarantined: true, last_error: expect.stringMatching(/larger than the max message size/) },
      { message_key: poisoned, quarantined: false, last_error: null }, // held back: publishing it would break the key's order
    ]);
    expect(await OutboxRelay.backlog((sql) => db.dataSource.query(sql))).toEqual({ pending: 0, oldestAgeMs: 0, quarantined: 1, heldBehindQuarantine: 1 });
    expect(relays[0].stats.quarantined).toBe(1);
  });

  it('three relays over one outbox: 20,000 events over 200 keys all reach Kafka, each once, in commit order per key', async () => {
    const prefix = uniqueTopicPrefix();
    await createTopics(brokers, prefix);
    db = await createOutboxDb();
    relays.push(...range(3).map(() => startRelay(db.url, brokers, prefix)));
    // leaderless sharing: every relay ends up with a fair share, and every lane has an owner
    // (at most ceil(16 / 3) = 6 each)
    await waitUntil(
      'the 16 lanes to be shared by the three relays',
      () => relays.every((r) => r.stats.ownedLanes >= 1 && r.stats.ownedLanes <= 6) && relays.reduce((n, r) => n + r.stats.ownedLanes, 0) === 16,
      { timeoutMs: 15_000 },
    );

    const keys = uuids(200);
    await enqueueSequences(db, keys, 100, { parallel: 20 });

    const messages = await readTopics(brokers, [topicOf(prefix)], { expected: 20_000, timeoutMs: 120_000 });
    const byKey = sequencesByKey(messages);
    expect(byKey.size).toBe(200);
    for (const key of keys) expect(byKey.get(key)).toEqual(range(100));
    expect(messages).toHaveLength(20_000);
    // the work really was shared
    for (const relay of relays) expect(relay.stats.published).toBeGreaterThan(0);
  });

  it('keeps events while the broker is down and publishes all of them, in order per key, once it is back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-relay-kafka-'));
    let kafka = await infra.startKafka({ dir, quiet: true });
    try {
      const prefix = uniqueTopicPrefix();
      await createTopics(kafka.brokers, prefix);
      db = await createOutboxDb();
      const relay = startRelay(db.url, kafka.brokers, prefix);
      relays.push(relay);
      await waitUntil('the relay to own its lanes', () => relay.stats.ownedLanes === 16);

      await infra.stopKafka(kafka);
      const keys = uuids(50);
      await enqueueSequences(db, keys, 20, { parallel: 10 }); // 1,000 events while the broker is down
      await waitUntil('the relay to notice the broker is gone', () => relay.stats.failures > 0, { timeoutMs: 60_000 });
      expect(await db.dataSource.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 1000 }]);

      kafka = await infra.startKafka({ dir, port: kafka.port, controllerPort: kafka.controllerPort, quiet: true });
      await waitUntil('the outbox to drain', async () => (await db.dataSource.query('SELECT count(*)::int AS n FROM outbox'))[0].n === 0, {
        timeoutMs: 90_000,
        intervalMs: 500,
      });

      const messages = await readTopics(kafka.brokers, [topicOf(prefix)], { expected: 1000, timeoutMs: 60_000 });
      const byKey = sequencesByKey(messages);
      for (const key of keys) expect(firstOccurrences(byKey.get(key)!)).toEqual(range(20));
    } finally {
      await Promise.all(relays.splice(0).map((r) => r.stop()));
      await infra.stopKafka(kafka);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
