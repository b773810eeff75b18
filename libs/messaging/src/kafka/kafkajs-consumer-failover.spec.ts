import { GUARDED_KAFKAJS_VERSION, guardKafkaJsConsumerFailover } from './kafkajs-consumer-failover';

/* eslint-disable @typescript-eslint/no-require-imports */
type Kafkajs = { ConsumerGroup: any; OffsetManager: any; errors: any; createErrorFromCode: (code: number) => Error };
const load = (): Kafkajs => ({
  ConsumerGroup: require('kafkajs/src/consumer/consumerGroup'),
  OffsetManager: require('kafkajs/src/consumer/offsetManager'),
  errors: require('kafkajs/src/errors'),
  createErrorFromCode: require('kafkajs/src/protocol/error').createErrorFromCode,
});
/* eslint-enable @typescript-eslint/no-require-imports */

// kafkajs as it is, in a module registry of its own: the guard below patches the other one
let pristine!: Kafkajs;
jest.isolateModules(() => (pristine = load()));
const guarded = load();

const NOT_COORDINATOR = 16;
const REBALANCE_IN_PROGRESS = 27;
const GROUP_LOAD_IN_PROGRESS = 14;

/** A broker as kafkajs' consumer uses one; `down`: its connection is refused. */
function broker(nodeId: number, { down = false } = {}) {
  const refuse = () => Promise.reject(new guarded.errors.KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { code: 'ECONNREFUSED' }));
  const answer = jest.fn(async () => (down ? refuse() : {}));
  return { nodeId, isConnected: () => !down, heartbeat: answer, offsetCommit: jest.fn(answer), offsetFetch: jest.fn(answer), leaveGroup: jest.fn(answer) };
}
type FakeBroker = ReturnType<typeof broker>;

/**
 * A cluster after node 3, the group's coordinator, was killed: node 3 is out of the metadata, and the group's
 * partition of __consumer_offsets is led by node 2, its coordinator now.
 */
function clusterAfterTheKill() {
  const nodes: Record<number, FakeBroker> = { 1: broker(1), 2: broker(2) };
  return {
    nodes,
    coordinator: 2,
    findBroker: jest.fn(async ({ nodeId }: { nodeId: number }) => {
      if (!nodes[nodeId]) throw new guarded.errors.KafkaJSBrokerNotFound(`Broker ${nodeId} not found in the cached metadata`);
      return nodes[nodeId];
    }),
    findGroupCoordinator: jest.fn(async function (this: { coordinator: number }) {
      return nodes[this.coordinator];
    }),
    refreshMetadata: jest.fn(async () => {}),
    committedOffsets: () => ({}),
  };
}
type FakeCluster = ReturnType<typeof clusterAfterTheKill>;

const TOPICS = [{ topic: 'orders.events', partitions: [{ partition: 0, offset: '42' }] }];
const MEMBER = { groupId: 'orders', memberId: 'orders-1', generationId: 7 };

function offsetManager(kafkajs: Kafkajs, cluster: FakeCluster, coordinator: FakeBroker) {
  return new kafkajs.OffsetManager({
    cluster,
    coordinator,
    memberAssignment: { 'orders.events': [0] },
    autoCommit: false,
    autoCommitInterval: null,
    autoCommitThreshold: null,
    topicConfigurations: { 'orders.events': { fromBeginning: true } },
    instrumentationEmitter: { emit: () => {} },
    ...MEMBER,
  });
}

function consumerGroup(kafkajs: Kafkajs, cluster: FakeCluster, coordinator: FakeBroker) {
  const logger = { namespace: () => logger, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const group = new kafkajs.ConsumerGroup({
    cluster,
    groupId: MEMBER.groupId,
    topics: ['orders.events'],
    topicConfigurations: {},
    logger,
    instrumentationEmitter: { emit: () => {} },
    assigners: [],
    maxWaitTimeInMs: 5,
  });
  Object.assign(group, { coordinator, memberId: MEMBER.memberId, generationId: MEMBER.generationId, lastRequest: 0 });
  group.offsetManager = offsetManager(kafkajs, cluster, coordinator);
  return group;
}

const connectionRefused = () => new guarded.errors.KafkaJSConnectionError('Connection error: connect ECONNREFUSED');

describe('kafkajs 2.2.4 without the guard (what it is for)', () => {
  it('an offset commit after the coordinator died looks up the same node again, never the group coordinator', async () => {
    const cluster = clusterAfterTheKill();
    const manager = offsetManager(pristine, cluster, broker(3, { down: true }));
    await expect(manager.commitOffsets({ topics: TOPICS })).rejects.toThrow('Broker 3 not found in the cached metadata');
    expect(cluster.findBroker).toHaveBeenCalledWith(expect.objectContaining({ nodeId: 3 }));
    expect(cluster.findGroupCoordinator).not.toHaveBeenCalled();
  });

  it('a heartbeat goes to the coordinator found at the join, dead or not', async () => {
    const cluster = clusterAfterTheKill();
    const group = consumerGroup(pristine, cluster, broker(3, { down: true }));
    await expect(group.heartbeat({ interval: 0 })).rejects.toThrow('ECONNREFUSED');
    expect(cluster.findGroupCoordinator).not.toHaveBeenCalled();
  });

  it('a fetch from a leader that refuses the connection throws, up to the runner (which stops every fetch and spends a retry)', async () => {
    const group = consumerGroup(pristine, clusterAfterTheKill(), broker(2));
    await expect(group.recoverFromFetch(connectionRefused())).rejects.toThrow('ECONNREFUSED');
  });
});

describe('guardKafkaJsConsumerFailover', () => {
  beforeAll(() => {
    expect(guardKafkaJsConsumerFailover()).toBe(true);
  });

  it('an offset commit finds the group coordinator and commits there, as the same member of the same generation', async () => {
    const cluster = clusterAfterTheKill();
    const manager = offsetManager(guarded, cluster, broker(3, { down: true }));
    await manager.commitOffsets({ topics: TOPICS });
    expect(cluster.nodes[2].offsetCommit).toHaveBeenCalledWith({ groupId: 'orders', memberId: 'orders-1', groupGenerationId: 7, topics: TOPICS });
    expect(manager.coordinator).toBe(cluster.nodes[2]);
  });

  it('a broker that answers NOT_COORDINATOR (a node back from a restart, the group gone elsewhere) is replaced too', async () => {
    const cluster = clusterAfterTheKill();
    const restarted = broker(3);
    restarted.offsetCommit.mockRejectedValue(guarded.createErrorFromCode(NOT_COORDINATOR));
    const manager = offsetManager(guarded, cluster, restarted);
    await manager.commitOffsets({ topics: TOPICS });
    expect(cluster.nodes[2].offsetCommit).toHaveBeenCalledTimes(1);
    expect(manager.coordinator).toBe(cluster.nodes[2]);
  });

  it('a heartbeat finds the group coordinator, once for the partitions heartbeating together, and hands it to the offset manager', async () => {
    const cluster = clusterAfterTheKill();
    const group = consumerGroup(guarded, cluster, broker(3, { down: true }));
    await Promise.all([group.heartbeat({ interval: 0 }), group.heartbeat({ interval: 0 }), group.heartbeat({ interval: 0 })]);
    expect(cluster.findGroupCoordinator).toHaveBeenCalledTimes(1);
    expect(cluster.nodes[2].heartbeat).toHaveBeenCalledWith({ groupId: 'orders', memberId: 'orders-1', groupGenerationId: 7 });
    expect(group.coordinator).toBe(cluster.nodes[2]);
    expect(group.offsetManager.coordinator).toBe(cluster.nodes[2]);
  });

  it('throws other errors as they were, without a lookup (a rebalance is kafkajs’ to handle)', async () => {
    const cluster = clusterAfterTheKill();
    const coordinator = broker(2);
    coordinator.heartbeat.mockRejectedValue(guarded.createErrorFromCode(REBALANCE_IN_PROGRESS));
    const group = consumerGroup(guarded, cluster, coordinator);
    await expect(group.heartbeat({ interval: 0 })).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
    expect(cluster.findGroupCoordinator).not.toHaveBeenCalled();
  });

  it('asks again, after a short wait, a new coordinator still taking the group over (NOT_COORDINATOR, then GROUP_LOAD_IN_PROGRESS)', async () => {
    const cluster = clusterAfterTheKill();
    const group = consumerGroup(guarded, cluster, broker(3, { down: true }));
    cluster.nodes[2].heartbeat
      .mockRejectedValueOnce(guarded.createErrorFromCode(NOT_COORDINATOR))
      .mockRejectedValueOnce(guarded.createErrorFromCode(GROUP_LOAD_IN_PROGRESS));
    await group.heartbeat({ interval: 0 });
    expect(cluster.findGroupCoordinator).toHaveBeenCalledTimes(3);
    expect(cluster.nodes[2].heartbeat).toHaveBeenLastCalledWith({ groupId: 'orders', memberId: 'orders-1', groupGenerationId: 7 });
  });

  it('gives up after 7 lookups over 6.3 s: the last error is thrown (a NOT_COORDINATOR then makes kafkajs rejoin)', async () => {
    jest.useFakeTimers();
    try {
      const cluster = clusterAfterTheKill();
      cluster.nodes[2].heartbeat.mockRejectedValue(guarded.createErrorFromCode(NOT_COORDINATOR));
      const group = consumerGroup(guarded, cluster, broker(3, { down: true }));
      const heartbeat = group.heartbeat({ interval: 0 });
      const outcome = expect(heartbeat).rejects.toMatchObject({ type: 'NOT_COORDINATOR_FOR_GROUP' });
      await jest.advanceTimersByTimeAsync(6_299);
      expect(cluster.findGroupCoordinator).toHaveBeenCalledTimes(6);
      await jest.advanceTimersByTimeAsync(1);
      await outcome;
      expect(cluster.findGroupCoordinator).toHaveBeenCalledTimes(7);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a fetch from a leader that refuses the connection returns nothing, after a metadata refresh and a pause; other errors are thrown', async () => {
    const cluster = clusterAfterTheKill();
    const group = consumerGroup(guarded, cluster, broker(2));
    await expect(group.recoverFromFetch(connectionRefused())).resolves.toBeUndefined();
    expect(cluster.refreshMetadata).toHaveBeenCalledTimes(1);
    await expect(group.recoverFromFetch(new Error('not a Kafka error'))).rejects.toThrow('not a Kafka error');
  });

  it('is applied once, to the kafkajs package.json pins (an upgrade fails here: check the patched code again)', () => {
    const heartbeat = guarded.ConsumerGroup.prototype.heartbeat;
    expect(guardKafkaJsConsumerFailover()).toBe(true);
    expect(guarded.ConsumerGroup.prototype.heartbeat).toBe(heartbeat);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect([require('kafkajs/package.json').version, require('../../../../package.json').dependencies.kafkajs]).toEqual([
      GUARDED_KAFKAJS_VERSION,
      GUARDED_KAFKAJS_VERSION,
    ]);
  });
});
