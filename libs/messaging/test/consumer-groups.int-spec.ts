import { randomUUID } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import { Topics } from '@app/contracts';
import { query, serviceForSuite, SuiteService, testKafka, waitUntil } from '@app/testing';
import { parsePrometheusText } from '@app/testing/prometheus-text';
import { consumerGroupOf } from '../src';
import { probeService } from './fixtures/probe.definition';
import { cancelledEnvelope } from './harness';

/**
 * Two deployments of one service on one cluster, told apart by KAFKA_TOPIC_PREFIX, both running at once.
 * Each must be a consumer group of its own: in one shared group, the group's leader shares out only the
 * topics it subscribes to, so the other deployment's members drop what they are given and its topics go
 * unread.
 */
describe('two deployments of a service with different topic prefixes on one broker', () => {
  const a = serviceForSuite(probeService);
  const b = serviceForSuite(probeService);
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    admin = testKafka(a.brokers).admin();
    await admin.connect();
    producer = testKafka(a.brokers).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  /** Sends `n` events (each its own order, so over every partition) to the deployment's topic; their reasons. */
  async function send(d: SuiteService, label: string, n: number): Promise<string[]> {
    const reasons = Array.from({ length: n }, (_, i) => `${label}-${i}`);
    await producer.send({
      topic: `${d.prefix}${Topics.OrdersEvents}`,
      acks: -1,
      messages: reasons.map((reason) => {
        const orderId = randomUUID();
        return { key: orderId, value: JSON.stringify(cancelledEnvelope(orderId, reason)) };
      }),
    });
    return reasons;
  }

  const applied = async (d: SuiteService) => (await query<{ n: number }>(d.databaseUrl, 'SELECT count(*)::int AS n FROM effects'))[0].n;

  /** The deployment's consumer lag as its GET /metrics reports it (read with its group's committed offsets). */
  async function lag(d: SuiteService): Promise<number> {
    const samples = parsePrometheusText(await (await fetch(`${d.running.url}/metrics`)).text());
    const lags = samples.filter((s) => s.name === 'consumer_lag_events' && s.labels.topic === Topics.OrdersEvents);
    if (!lags.length) throw new Error('no consumer_lag_events for orders.events yet');
    return lags.reduce((sum, s) => sum + s.value, 0);
  }

  it('each consumes its own topic in a group of its own, and reports its own lag', async () => {
    await send(a, 'a', 30);
    await send(b, 'b', 30);

    await waitUntil(
      'both deployments to apply their 30 events',
      async () => {
        const n = { a: await applied(a), b: await applied(b) };
        if (n.a !== 30 || n.b !== 30) throw new Error(`applied ${JSON.stringify(n)}`);
        return true;
      },
      { timeoutMs: 60_000 },
    );

    // one group per deployment, each with its one member, named prefix + service
    const groups = [consumerGroupOf('probe', a.prefix), consumerGroupOf('probe', b.prefix)];
    expect(groups).toEqual([`${a.prefix}probe`, `${b.prefix}probe`]);
    const described = (await admin.describeGroups(groups)).groups;
    expect(described.map((g) => [g.groupId, g.state, g.members.length])).toEqual([
      [groups[0], 'Stable', 1],
      [groups[1], 'Stable', 1],
    ]);

    // the lag metric reads the same group's offsets: 0 once the offsets are committed (every second)
    await waitUntil('both deployments to report a consumer lag of 0', async () => (await lag(a)) === 0 && (await lag(b)) === 0, { timeoutMs: 30_000 });
  });
});
