import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { testKafka } from './kafka';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaLib = require('../../../infra/lib/kafka');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackLib = require('../../../infra/lib/stack');

export interface KafkaNodeHandle {
  nodeId: number;
  pid: number | null;
  port: number;
  controllerPort: number;
  dir: string;
}

export interface KafkaClusterHandle {
  dir: string;
  clusterId: string;
  brokers: string;
  nodes: KafkaNodeHandle[];
}

/** A Kafka cluster of its own for one test file: every node a broker and a controller, in a temporary folder. */
export interface TestCluster {
  /** The bootstrap list, every node: "127.0.0.1:a,127.0.0.1:b,127.0.0.1:c". */
  readonly brokers: string;
  readonly handle: KafkaClusterHandle;
  /** The node leading `partition` of `topic` now. */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** Stops a node: SIGTERM is a controlled shutdown (its leaderships move first), SIGKILL a crash. */
  stopNode(nodeId: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Freezes a node (SIGSTOP): it keeps its connections and answers nothing, until thawNode (SIGCONT). */
  freezeNode(nodeId: number): void;
  thawNode(nodeId: number): void;
  /** Starts a stopped node again on its port and data, and waits until the cluster lists it again. */
  startNode(nodeId: number): Promise<void>;
  /** Waits until every partition of `topics` has all its replicas in sync (after a node came back). */
  waitInSync(topics: string[], timeoutMs?: number): Promise<void>;
  /** Stops every node and removes the folder. */
  close(): Promise<void>;
}

/**
 * Failure detection of a test cluster: a node that stops heartbeating is fenced (its partitions get new
 * leaders, it leaves their ISR) after 3 s instead of Kafka's 9 s, so a test that kills one waits less.
 */
export const TEST_CLUSTER_SETTINGS: Record<string, string> = {
  'broker.session.timeout.ms': '3000',
  'broker.heartbeat.interval.ms': '500',
};

/**
 * Starts a hermetic cluster of `nodes` KRaft nodes (3 by default) on free ports in a temporary folder, with
 * the launcher's cluster settings (topics and internal topics replicated 3 times, min.insync.replicas=2) and
 * TEST_CLUSTER_SETTINGS. A run killed before close() leaves a state.json naming its owner process: the next
 * run's global setup stops the cluster once that process is gone. About 10 s on two cores.
 */
export async function startTestCluster({ nodes = 3, extra = {} }: { nodes?: number; extra?: Record<string, string> } = {}): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-test-cluster-'));
  let handle: KafkaClusterHandle;
  try {
    handle = await kafkaLib.startKafkaCluster({ dir: path.join(dir, 'kafka'), nodes, quiet: true, extra: { ...TEST_CLUSTER_SETTINGS, ...extra } });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // for the reaper of a killed run (global-setup.ts): what runs here, and which process owns it
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ kafka: handle, postgres: null, databases: {}, owner: process.pid }));
  const admin = testKafka(handle.brokers).admin();
  let adminConnected = false;
  const connected = async () => {
    if (!adminConnected) {
      await admin.connect();
      adminConnected = true;
    }
    return admin;
  };

  return {
    brokers: handle.brokers,
    handle,
    async leaderOf(topic, partition) {
      const { topics } = await (await connected()).fetchTopicMetadata({ topics: [topic] });
      const found = topics[0].partitions.find((p) => p.partitionId === partition);
      if (!found) throw new Error(`${topic} has no partition ${partition}`);
      return found.leader;
    },
    async stopNode(nodeId, signal = 'SIGTERM') {
      await kafkaLib.stopKafkaNode(handle, nodeId, { signal });
    },
    freezeNode(nodeId) {
      process.kill(nodePid(handle, nodeId), 'SIGSTOP');
    },
    thawNode(nodeId) {
      process.kill(nodePid(handle, nodeId), 'SIGCONT');
    },
    async startNode(nodeId) {
      await kafkaLib.startKafkaNode(handle, nodeId, { quiet: true });
    },
    async waitInSync(topics, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const { topics: meta } = await (await connected()).fetchTopicMetadata({ topics });
          if (meta.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length))) return;
        } catch {
          /* a node just came back: ask again */
        }
        if (Date.now() > deadline) throw new Error(`the replicas of ${topics.join(', ')} were not all in sync after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async close() {
      if (adminConnected) await admin.disconnect().catch(() => {});
      await stackLib.down({ dir, quiet: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function nodePid(handle: KafkaClusterHandle, nodeId: number): number {
  const node = handle.nodes.find((n) => n.nodeId === nodeId);
  const pid = node ? (kafkaLib.brokerPid(node) as number | null) : null;
  if (!pid) throw new Error(`Kafka node ${nodeId} is not running`);
  return pid;
}
