'use strict';
// Runs a single-node Apache Kafka broker (KRaft, broker+controller) from its Maven Central jars.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { waitFor, stopProcess, log, listProcesses } = require('./proc');
const { freePort, isListening } = require('./ports');

const KAFKA_DIR = path.resolve(__dirname, '..', 'kafka');
const LIBS_DIR = path.join(KAFKA_DIR, 'libs');
const REQUIRED_JARS = ['kafka_2.13-3.9.1.jar', 'kafka-clients-3.9.1.jar', 'slf4j-reload4j-1.7.36.jar'];

function hasCommand(cmd) {
  return spawnSync(cmd, ['-version'], { stdio: 'ignore' }).status === 0;
}

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
  if (jarsPresent()) return;
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'Maven was not found on PATH. It fetches the Apache Kafka broker jars (once; they are cached).\n' +
        'Install Maven, or run the whole stack with Docker instead: docker compose up',
    );
  }
  log('fetching Apache Kafka 3.9.1 jars with Maven (first run only)...');
  const result = spawnSync('mvn', ['-q', '-B', '-f', path.join(KAFKA_DIR, 'pom.xml'), 'dependency:copy-dependencies'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 || !jarsPresent()) {
    throw new Error('Maven could not fetch the Kafka jars (see its output above).');
  }
  log(`Kafka jars ready in ${path.relative(process.cwd(), LIBS_DIR) || LIBS_DIR}`);
}

function serverProperties({ dir, port, controllerPort, partitions }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    `num.partitions=${partitions}`,
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'delete.topic.enable=true',
    'log.retention.hours=168',
    '',
  ].join('\n');
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

function javaArgs(dir, mainClass, args) {
  return [
    '-Xms128m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
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

/** True once the broker answers a metadata request. */
async function brokerAnswers(port) {
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
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== -1;
  } finally {
    await admin.disconnect().catch(() => {});
  }
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
  const propsFile = path.join(dir, 'server.properties');
  fs.writeFileSync(propsFile, serverProperties({ dir, port, controllerPort, partitions }));
  fs.writeFileSync(path.join(dir, 'log4j.properties'), LOG4J);

  if (!fs.existsSync(path.join(dir, 'data', 'meta.properties'))) {
    // a base64url id can start with '-': passed as `--cluster-id=<id>`, it is never read as an option
    const clusterId = crypto.randomBytes(16).toString('base64url');
    const format = spawnSync('java', javaArgs(dir, 'kafka.tools.StorageTool', ['format', `--cluster-id=${clusterId}`, '-c', propsFile, '--ignore-formatted']), {
      encoding: 'utf8',
    });
    if (format.status !== 0) {
      const how = format.error ? `java could not be run (${format.error.message})` : format.signal ? `killed by ${format.signal}` : `exit ${format.status}`;
      throw new Error(`Kafka storage format of ${dir} failed (${how}):\n${format.stdout || ''}\n${format.stderr || ''}`);
    }
  }

  const started = Date.now();
  const out = fs.openSync(path.join(dir, 'stdout.log'), 'a');
  const child = spawn('java', javaArgs(dir, 'kafka.Kafka', [propsFile]), {
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  child.unref();
  const kafka = { pid: child.pid, port, controllerPort, dir, brokers: `127.0.0.1:${port}` };
  fs.writeFileSync(path.join(dir, 'kafka.json'), JSON.stringify(kafka));
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal ? `was killed by ${signal}` : `exited with code ${code}`));

  let lastDot = 0;
  await waitFor(
    `Kafka broker on port ${port}`,
    async () => {
      if (exited !== null) {
        const hint = `see ${path.join(dir, 'stdout.log')} and ${path.join(dir, 'server.log')} (a port taken by another program, or another broker on the same folder?)`;
        throw Object.assign(new Error(`the Kafka broker ${exited} at start; ${hint}`), { fatal: true });
      }
      return brokerAnswers(port);
    },
    {
      timeoutMs: 90_000,
      intervalMs: 250,
      onTick: (ms) => {
        if (!quiet && ms - lastDot > 3000) {
          lastDot = ms;
          log(`  waiting for Kafka... ${Math.round(ms / 1000)}s`);
        }
      },
    },
  );
  if (!quiet) log(`Kafka 3.9.1 ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return kafka;
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

async function stopKafka(kafka) {
  const pid = brokerPid(kafka);
  if (!pid) return;
  await stopProcess(pid, { signal: 'SIGTERM', graceMs: 20_000 });
}

module.exports = { startKafka, stopKafka, ensureJars, brokerAnswers, brokerPid };
