'use strict';
// Runs Apache Kafka (KRaft) from its Maven Central jars: one node (broker + controller), or a cluster of
// several such nodes (KAFKA_NODES=3: one cluster id, a controller quorum of all of them, replicated topics).
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { waitFor, stopProcess, log, listProcesses, tail } = require('./proc');
const { freePort, isListening } = require('./ports');
const maven = require('./maven');
const { hasCommand } = maven;

const KAFKA_DIR = path.resolve(__dirname, '..', 'kafka');
const LIBS_DIR = path.join(KAFKA_DIR, 'libs');
const REQUIRED_JARS = ['kafka_2.13-3.9.1.jar', 'kafka-clients-3.9.1.jar', 'slf4j-reload4j-1.7.36.jar'];

function jarsPresent() {
  return fs.existsSync(LIBS_DIR) && REQUIRED_JARS.every((jar) => fs.existsSync(path.join(LIBS_DIR, jar)));
}

/** Fetches the broker's jars with Maven (cached in ~/.m2 and in infra/kafka/libs). */
function ensureJars() {
  if (!hasCommand('java')) {
    throw new Error(
      'Java (17 or newer) was not found on PATH. The native launcher runs Apache Kafka from its jars and needs a JDK.\n' +
        'Install a JDK and Maven, or run the whole stack with Docker instead: docker compose up',
    );
  }
  maven.ensureJars({ what: 'the Apache Kafka 3.9.1 broker jars', pom: path.join(KAFKA_DIR, 'pom.xml'), dir: LIBS_DIR, present: jarsPresent });
}

/**
 * A node's server.properties. `voters` is the controller quorum (`id@host:port,...`); with `nodes` nodes,
 * topics (the internal ones too) get min(nodes, 3) replicas and, from 3, min.insync.replicas=2, so that an
 * acknowledged write (acks=all) is on two nodes at least and one node may fail without stopping writes.
 */
function serverProperties({ dir, nodeId = 1, port, controllerPort, voters, partitions, nodes = 1, extra = {} }) {
  const replicas = Math.min(nodes, 3);
  const minIsr = replicationSettings(nodes).minInsyncReplicas;
  return [
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters || `${nodeId}@127.0.0.1:${controllerPort}`}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    `num.partitions=${partitions}`,
    'auto.create.topics.enable=false',
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    'unclean.leader.election.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'delete.topic.enable=true',
    'log.retention.hours=168',
    ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
}

/**
 * What the services' topics get on a cluster of `nodes` nodes: KAFKA_REPLICATION_FACTOR and
 * KAFKA_MIN_INSYNC_REPLICAS (the launcher passes both to the apps).
 */
function replicationSettings(nodes) {
  const replicationFactor = Math.min(Math.max(nodes, 1), 3);
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

const LOG4J = [
  'log4j.rootLogger=WARN, file',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  'log4j.appender.file=org.apache.log4j.FileAppender',
  'log4j.appender.file.File=${kafka.logs.dir}/server.log',
  'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
  '',
].join('\n');

/** The heap of a node: one broker alone may take 768 MB; each node of a cluster 384 MB (KAFKA_JVM_OPTS=-Xmx... overrides). */
function heapMb(nodes) {
  return nodes > 1 ? 384 : 768;
}

function javaArgs(dir, mainClass, args, { heap = 768, nodes = 1 } = {}) {
  return [
    `-Xms${Math.min(128, heap)}m`,
    `-Xmx${heap}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    // several JVMs share few cores: one GC thread each, and fewer JIT threads
    ...(nodes > 1 ? ['-XX:ParallelGCThreads=1', '-XX:ConcGCThreads=1', '-XX:CICompilerCount=2'] : []),
    '-Djava.awt.headless=true',
    ...(process.env.KAFKA_JVM_OPTS ?? '').split(/\s+/).filter(Boolean),
    `-Dkafka.logs.dir=${dir}`,
    `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`,
    '-cp',
    path.join(LIBS_DIR, '*'),
    mainClass,
    ...args,
  ];
}

/** True once the broker answers a metadata request naming a controller (and at least `brokers` brokers). */
async function brokerAnswers(port, brokers = 1) {
  if (!(await isListening(port))) return false;
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({
    clientId: 'infra-probe',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
    requestTimeout: 2000,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= Math.max(brokers, 1) && cluster.controller !== null && cluster.controller !== -1;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Formats a node's storage with the cluster's id (first time only). */
function formatStorage(dir, propsFile, clusterId, opts) {
  if (fs.existsSync(path.join(dir, 'data', 'meta.properties'))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    // a base64url id can start with '-': passed as `--cluster-id=<id>`, it is never read as an option
    const child = spawn('java', javaArgs(dir, 'kafka.tools.StorageTool', ['format', `--cluster-id=${clusterId}`, '-c', propsFile, '--ignore-formatted'], opts), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', (err) => reject(new Error(`Kafka storage format of ${dir} failed (java could not be run (${err.message})):\n${output}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      reject(new Error(`Kafka storage format of ${dir} failed (${signal ? `killed by ${signal}` : `exit ${code}`}):\n${output}`));
    });
  });
}

/** Starts the node configured in `dir` (its server.properties), detached; returns its process and how it ended, once it has. */
function spawnNode(dir, opts) {
  const out = fs.openSync(path.join(dir, 'stdout.log'), 'a');
  const child = spawn('java', javaArgs(dir, 'kafka.Kafka', [path.join(dir, 'server.properties')], opts), {
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  child.unref();
  const exit = { reason: null };
  child.once('exit', (code, signal) => (exit.reason = signal ? `was killed by ${signal}` : `exited with code ${code}`));
  return { child, exit };
}

/** Waits until the node on `port` answers with a controller and `brokers` brokers; fails at once if it exited. */
async function waitNode({ dir, port }, exit, brokers, quiet, label = 'Kafka') {
  let lastDot = 0;
  await waitFor(
    `Kafka broker on port ${port}`,
    async () => {
      if (exit.reason !== null) {
        const hint = `see ${path.join(dir, 'stdout.log')} and ${path.join(dir, 'server.log')} (a port taken by another program, or another broker on the same folder?)`;
        throw Object.assign(new Error(`the Kafka broker ${exit.reason} at start; ${hint}`), { fatal: true });
      }
      return brokerAnswers(port, brokers);
    },
    {
      timeoutMs: 120_000,
      intervalMs: 250,
      onTick: (ms) => {
        if (!quiet && ms - lastDot > 3000) {
          lastDot = ms;
          log(`  waiting for ${label}... ${Math.round(ms / 1000)}s`);
        }
      },
    },
  );
}

/**
 * Formats (first time only) and starts the broker in `dir`. Returns its description, which
 * `stopKafka` and `startKafka` (restart on the same data) accept again.
 */
async function startKafka({ dir, port, controllerPort, partitions = 3, quiet = false } = {}) {
  ensureJars();
  fs.mkdirSync(dir, { recursive: true });
  port = port || (await freePort());
  controllerPort = controllerPort || (await freePort());
  const opts = { heap: heapMb(1), nodes: 1 };
  const propsFile = path.join(dir, 'server.properties');
  fs.writeFileSync(propsFile, serverProperties({ dir, port, controllerPort, partitions }));
  fs.writeFileSync(path.join(dir, 'log4j.properties'), LOG4J);
  await formatStorage(dir, propsFile, crypto.randomBytes(16).toString('base64url'), opts);

  const started = Date.now();
  const { child, exit } = spawnNode(dir, opts);
  const kafka = { pid: child.pid, port, controllerPort, dir, brokers: `127.0.0.1:${port}` };
  fs.writeFileSync(path.join(dir, 'kafka.json'), JSON.stringify(kafka));
  await waitNode(kafka, exit, 1, quiet);
  if (!quiet) log(`Kafka 3.9.1 ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return kafka;
}

/** `count` distinct free ports, `preferred` ones first where given and free. */
async function distinctPorts(count, preferred = []) {
  const ports = [];
  for (let i = 0; i < count; i++) {
    let port = preferred[i] && !(await isListening(preferred[i])) && !ports.includes(preferred[i]) ? preferred[i] : await freePort();
    while (ports.includes(port)) port = await freePort();
    ports.push(port);
  }
  return ports;
}

/** Configures, formats (first time only) and starts every node of `cluster`; resolves once all answer, listing all. */
async function launchCluster(cluster, { nodes, partitions, extra, opts, quiet }) {
  cluster.brokers = cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  const voters = cluster.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',');
  await Promise.all(
    cluster.nodes.map(async (node) => {
      fs.mkdirSync(node.dir, { recursive: true });
      const propsFile = path.join(node.dir, 'server.properties');
      fs.writeFileSync(propsFile, serverProperties({ dir: node.dir, nodeId: node.nodeId, port: node.port, controllerPort: node.controllerPort, voters, partitions, nodes, extra }));
      fs.writeFileSync(path.join(node.dir, 'log4j.properties'), LOG4J);
      await formatStorage(node.dir, propsFile, cluster.clusterId, opts);
    }),
  );
  const spawned = cluster.nodes.map((node) => {
    const { child, exit } = spawnNode(node.dir, opts);
    node.pid = child.pid;
    return exit;
  });
  fs.writeFileSync(path.join(cluster.dir, 'kafka.json'), JSON.stringify(cluster));
  await Promise.all(cluster.nodes.map((node, i) => waitNode(node, spawned[i], nodes, quiet || i > 0, `the ${nodes}-node Kafka cluster`)));
}

/**
 * Formats (first time only) and starts a cluster of `nodes` KRaft nodes in `dir` (one folder each,
 * node-1...), each a broker and a controller, sharing one cluster id; returns once every node answers and
 * sees all the brokers. Ports: `ports` (the brokers', preferred) or free ones. Started again on the same
 * `dir`, it keeps its ports and data. `extra`: more broker settings (e.g. shorter failure detection in tests).
 * Its description (`{ dir, clusterId, brokers, nodes: [{ nodeId, pid, port, controllerPort, dir }] }`) is what
 * `stopKafka`, `brokerPid`, `startKafkaNode` and `stopKafkaNode` accept.
 */
async function startKafkaCluster({ dir, nodes = 3, ports = [], partitions = 3, quiet = false, extra = {} } = {}) {
  ensureJars();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kafka.json');
  const previous = readJson(file);
  // started again: the same cluster id and folders, on the same ports where they are free
  const same = previous && Array.isArray(previous.nodes) && previous.nodes.length === nodes ? previous : null;
  const brokerPorts = await distinctPorts(nodes, same ? same.nodes.map((n) => n.port) : ports);
  let controllerPorts = await distinctPorts(nodes, same ? same.nodes.map((n) => n.controllerPort) : []);
  while (controllerPorts.some((p) => brokerPorts.includes(p))) controllerPorts = await distinctPorts(nodes);
  const cluster = {
    dir,
    clusterId: same ? same.clusterId : crypto.randomBytes(16).toString('base64url'),
    nodes: brokerPorts.map((port, i) => ({ nodeId: i + 1, port, controllerPort: controllerPorts[i], dir: path.join(dir, `node-${i + 1}`), pid: null })),
  };
  // a new cluster id: whatever an earlier cluster of another size left in these folders cannot join it
  if (!same) for (const node of cluster.nodes) fs.rmSync(path.join(node.dir, 'data'), { recursive: true, force: true });
  cluster.extra = extra;
  const opts = { heap: heapMb(nodes), nodes };
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await launchCluster(cluster, { nodes, partitions, extra, opts, quiet });
      break;
    } catch (err) {
      await stopKafka(cluster); // no half-started cluster left behind
      // a port found free may be taken by the time the node binds it (another program's connection): once, new ports
      if (attempt > 1 || !cluster.nodes.some((n) => ['stdout.log', 'server.log'].some((f) => /Address already in use/.test(tail(path.join(n.dir, f), 200))))) throw err;
      if (!quiet) log('a Kafka port was taken meanwhile: starting the cluster again on other ports');
      const fresh = await distinctPorts(nodes * 2);
      cluster.nodes.forEach((n, i) => Object.assign(n, { port: fresh[i], controllerPort: fresh[nodes + i] }));
    }
  }
  if (!quiet) log(`Kafka 3.9.1 cluster of ${nodes} nodes ready on ${cluster.brokers} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return cluster;
}

/** The nodes of a Kafka description: a cluster's, or the single broker itself. */
function kafkaNodes(kafka) {
  if (!kafka) return [];
  return Array.isArray(kafka.nodes) ? kafka.nodes : [kafka];
}

/** Starts one node of `cluster` again (on its port and data) and waits until it is back in the cluster. */
async function startKafkaNode(cluster, nodeId, { quiet = true } = {}) {
  const node = kafkaNodes(cluster).find((n) => (n.nodeId ?? 1) === nodeId);
  if (!node) throw new Error(`no Kafka node ${nodeId} in ${cluster.dir}`);
  if (brokerPid(node)) return node;
  const nodes = kafkaNodes(cluster).length;
  const { child, exit } = spawnNode(node.dir, { heap: heapMb(nodes), nodes });
  node.pid = child.pid;
  if (cluster.nodes) fs.writeFileSync(path.join(cluster.dir, 'kafka.json'), JSON.stringify(cluster));
  await waitNode(node, exit, nodes, quiet, `Kafka node ${nodeId}`);
  return node;
}

/**
 * Stops one node of `cluster`: SIGTERM (a controlled shutdown: its partitions' leadership moves first), or
 * `signal` (SIGKILL: it dies at once, and the cluster finds out when its session expires).
 */
async function stopKafkaNode(cluster, nodeId, { signal = 'SIGTERM' } = {}) {
  const node = kafkaNodes(cluster).find((n) => (n.nodeId ?? 1) === nodeId);
  if (!node) throw new Error(`no Kafka node ${nodeId} in ${cluster.dir}`);
  const pid = brokerPid(node);
  if (pid) await stopProcess(pid, { signal, graceMs: 20_000 });
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** True when `argv` runs the broker configured in `dir`, however it was started. */
function runsBrokerOf(argv, dir) {
  return argv.join(' ').includes(`kafka.Kafka ${path.join(dir, 'server.properties')}`);
}

/**
 * The pid of the broker that runs on `kafka.dir` now, or null: looked up among the running processes,
 * as a broker restarted by hand has a new pid and a recorded one may since name another process.
 */
function brokerPid(kafka) {
  if (!kafka || !kafka.dir) return null;
  const found = listProcesses().find((p) => runsBrokerOf(p.argv, kafka.dir));
  return found ? found.pid : null;
}

/** Stops the broker, or every node of a cluster (at once). */
async function stopKafka(kafka) {
  await Promise.all(
    kafkaNodes(kafka).map(async (node) => {
      const pid = brokerPid(node);
      if (pid) await stopProcess(pid, { signal: 'SIGTERM', graceMs: 20_000 });
    }),
  );
}

/** KAFKA_NODES: how many Kafka nodes the launcher runs (1, the default, or 3). */
function readNodes(raw = process.env.KAFKA_NODES) {
  if (raw === undefined || raw === '') return 1;
  if (raw !== '1' && raw !== '3') throw new Error(`KAFKA_NODES must be 1 (one broker) or 3 (a cluster), got "${raw}"`);
  return Number(raw);
}

module.exports = {
  startKafka,
  startKafkaCluster,
  startKafkaNode,
  stopKafkaNode,
  stopKafka,
  kafkaNodes,
  replicationSettings,
  readNodes,
  ensureJars,
  brokerAnswers,
  brokerPid,
};
