import { setTimeout as sleep } from 'node:timers/promises';
import { startTestCluster, TestCluster } from '@app/testing';
import { KafkaProbe, KafkaProbeService, KafkaServerRef } from '../src/kafka/kafka-health';
import { PrefixedKafkaServer } from '../src/kafka/kafka-server';
import { messagingOptions } from './harness';

/**
 * Readiness judges the cluster, not one node: on a 3-node cluster, with the first broker of KAFKA_BROKERS
 * dead or frozen (SIGSTOP), every probe still finds the cluster.
 */
describe('the Kafka probe of readiness on a 3-node cluster', () => {
  let cluster: TestCluster;
  const services: KafkaProbeService[] = [];

  /** A probe as a service starts with it: its first admin client tries node 1 first. */
  function newProbe(): KafkaProbeService {
    const ref = new KafkaServerRef();
    ref.server = { state: 'connected', lastError: null } as unknown as PrefixedKafkaServer;
    const service = new KafkaProbeService({ ...messagingOptions('postgres://unused/db', cluster.brokers, ''), service: 'health-probe' }, ref);
    services.push(service);
    return service;
  }

  /** `count` probes a little apart, as readiness checks come. */
  async function probes(service: KafkaProbeService, count: number): Promise<KafkaProbe[]> {
    const out: KafkaProbe[] = [];
    for (let i = 0; i < count; i++) {
      out.push(await service.probe());
      await sleep(200);
    }
    return out;
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3 });
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.onApplicationShutdown()));
    await cluster?.close();
  });

  it('finds the cluster while its first broker is down, and while it is frozen', async () => {
    expect((await probes(newProbe(), 3)).map((p) => p.brokerReachable)).toEqual([true, true, true]);

    await cluster.stopNode(1, 'SIGKILL');
    try {
      // node 1 refuses the connection: the probe goes on to the next broker of the list within the same probe
      const down = await probes(newProbe(), 6);
      expect(down.map((p) => p.error ?? 'up')).toEqual(Array(6).fill('up'));
    } finally {
      await cluster.startNode(1);
    }

    cluster.freezeNode(1);
    try {
      // a frozen node accepts connections and answers nothing: a request to it times out, and the probe asks another
      const frozen = await probes(newProbe(), 8);
      expect(frozen.map((p) => p.error ?? 'up')).toEqual(Array(8).fill('up'));
    } finally {
      cluster.thawNode(1);
    }
  });
});
