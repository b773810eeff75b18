import { setTimeout as sleep } from 'node:timers/promises';
import { Topics } from '@app/contracts';
import { readToEnd, startTestCluster, TestCluster, uniqueTopicPrefix, waitUntil } from '@app/testing';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { RelayPublisher } from '../src/relay/publisher';
import { createOutboxDb, createTopics, firstOccurrences, OutboxDb, range, sequenced, sequencesByKey, startRelay, uuids } from './harness';

/**
 * The relay on a 3-node cluster (topics with 3 replicas, min.insync.replicas=2) while the leader of a
 * partition it sends to is stopped, in turn with SIGTERM (a controlled shutdown: its leaderships move at
 * once, and its answers to sends under way are NOT_LEADER_OR_FOLLOWER) and with SIGKILL (the cluster fences
 * it when its session expires), then started again. Rows are committed all along; every batch goes to six
 * partitions on three leaders. kafkajs 2.2.4 can resolve such a send without having sent the partitions
 * of the leader that failed (see docs/decisions/020-kafkajs-failover-guard.md): a relay that trusted it
 * deleted rows that are on no broker. Here every row the relay deleted must be on the log.
 */
describe('the relay while partition leaders of a 3-node cluster fail during its sends', () => {
  const prefix = uniqueTopicPrefix();
  const topic = `${prefix}${Topics.OrdersEvents}`;
  let cluster: TestCluster;
  let db: OutboxDb;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startTestCluster({ nodes: 3 });
    process.stderr.write(`[relay failover] 3-node cluster up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    await createTopics(cluster.brokers, prefix, { replicationFactor: 3, minInsyncReplicas: 2 });
    db = await createOutboxDb();
  });

  afterAll(async () => {
    await relay?.stop();
    await db?.close();
    await cluster?.close();
  });

  it('deletes only rows the cluster has: every deleted row is on the log, in commit order per key', async () => {
    const failures = new Map<string, number>();
    const counting = (publisher: RelayPublisher): RelayPublisher => ({
      connect: () => publisher.connect(),
      disconnect: () => publisher.disconnect(),
      publish: (rows) =>
        publisher.publish(rows).catch((err: Error) => {
          failures.set(err.name, (failures.get(err.name) ?? 0) + 1);
          throw err;
        }),
    });
    relay = startRelay(db.url, cluster.brokers, prefix, counting);

    // rows committed all along, 50 per transaction over 240 keys (in order per key), about 800 a second
    const keys = uuids(240);
    const next = new Map(keys.map((k) => [k, 0]));
    const committed: string[] = [];
    let writing = true;
    let k = 0;
    const writer = (async () => {
      while (writing) {
        const events = range(50).map(() => {
          const key = keys[k++ % keys.length];
          const seq = next.get(key)!;
          next.set(key, seq + 1);
          return sequenced(key, seq);
        });
        const envelopes = await db.dataSource.transaction((tx) => db.outbox.enqueue(tx, events));
        committed.push(...envelopes.map((e) => e.id));
        await sleep(50);
      }
    })();

    const faults: string[] = [];
    const started = Date.now();
    for (const [round, signal] of (['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'] as const).entries()) {
      await sleep(1500); // sends under way on every leader
      const partition = (round * 2 + 1) % 6;
      const leader = await cluster.leaderOf(topic, partition);
      const at = Date.now();
      await cluster.stopNode(leader, signal);
      // a killed node is fenced after 3 s (TEST_CLUSTER_SETTINGS): its leaderships move while the relay retries
      await sleep(signal === 'SIGKILL' ? 4500 : 1500);
      await cluster.startNode(leader);
      await cluster.waitInSync([topic]);
      faults.push(`${signal} node ${leader} (leader of partition ${partition}), back in sync after ${((Date.now() - at) / 1000).toFixed(1)}s`);
    }
    writing = false;
    await writer;
    await waitUntil('the relay to empty the outbox', async () => (await db.dataSource.query('SELECT count(*)::int AS n FROM outbox'))[0].n === 0, { timeoutMs: 120_000 });
    const faultsMs = Date.now() - started;

    const onLog = await readToEnd(cluster.brokers, [topic]);
    const logged = new Set(onLog.map((m) => JSON.parse(m.value!.toString()).id as string));
    const lost = committed.filter((id) => !logged.has(id));
    process.stderr.write(
      [
        `[relay failover] ${faults.length} faults in ${(faultsMs / 1000).toFixed(1)}s:`,
        ...faults.map((f) => `  ${f}`),
        `  rows committed and deleted by the relay: ${committed.length}; messages on the log: ${onLog.length} (${onLog.length - committed.length + lost.length} re-sent)`,
        `  failed sends: ${[...failures].map(([name, n]) => `${name} x${n}`).join(', ') || 'none'}`,
        `  deleted rows missing from the log: ${lost.length}`,
        '',
      ].join('\n'),
    );

    // the outbox is empty: the relay deleted every row; each must be on the log
    expect(lost).toEqual([]);
    // and what a consumer with an inbox sees is every key's events in commit order
    for (const [key, seqs] of sequencesByKey(onLog)) expect({ key, seqs: firstOccurrences(seqs) }).toEqual({ key, seqs: range(next.get(key)!) });
  });
});
