'use strict';
// The whole local infrastructure (Kafka + PostgreSQL with one database per service) as one unit with
// idempotent up/down, its state kept in a folder so that another process can bring it down.
const fs = require('node:fs');
const path = require('node:path');
const kafka = require('./kafka');
const postgres = require('./postgres');
const observe = require('./observe');
const { log } = require('./proc');
const { portOr, isListening } = require('./ports');

const SERVICES = ['orders', 'inventory', 'shipping'];

function stateFile(dir) {
  return path.join(dir, 'state.json');
}

function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dir), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The environment an app needs to reach this infrastructure: every broker, and on a cluster the replication
 * its topics get (3 replicas, min.insync.replicas 2).
 */
function envFor(state, service) {
  const { replicationFactor, minInsyncReplicas } = kafka.replicationSettings(kafka.kafkaNodes(state.kafka).length);
  return {
    KAFKA_BROKERS: state.kafka.brokers,
    KAFKA_REPLICATION_FACTOR: String(replicationFactor),
    KAFKA_MIN_INSYNC_REPLICAS: String(minInsyncReplicas),
    DATABASE_URL: postgres.databaseUrl(state.postgres.url, state.databases[service] || service),
  };
}

/** The running broker pid of each node of `state`'s Kafka (null for a node that is down). */
function nodePids(state) {
  return kafka.kafkaNodes(state.kafka).map((node) => kafka.brokerPid(node));
}

/** "Kafka" or "Kafka node 2" (in a cluster), for messages. */
function nodeName(state, node) {
  return state.kafka.nodes ? `Kafka node ${node.nodeId}` : 'Kafka';
}

function writeState(dir, state) {
  fs.writeFileSync(stateFile(dir), JSON.stringify(state, null, 2));
}

/** True when the broker (every node of a cluster) and the embedded server of `state` run, judged by the processes running now. */
function isUp(state) {
  if (!state) return false;
  const pgUp = state.postgres.embedded ? postgres.serverPid(state.postgres) !== null : true;
  return nodePids(state).every((pid) => pid !== null) && pgUp;
}

/**
 * state.json with the pids of what runs now, saved when they changed: a broker or server restarted by
 * hand (on the same folder) has a new pid, and the state must follow it rather than report it down.
 */
function refresh(dir) {
  const state = readState(dir);
  if (!state) return null;
  const pgPid = state.postgres.embedded ? postgres.serverPid(state.postgres) : null;
  let changed = false;
  const nodes = kafka.kafkaNodes(state.kafka);
  for (const [i, pid] of nodePids(state).entries()) {
    if (pid && pid !== nodes[i].pid) {
      nodes[i].pid = pid;
      changed = true;
    }
  }
  if (pgPid && pgPid !== state.postgres.pid) {
    state.postgres.pid = pgPid;
    changed = true;
  }
  if (changed) writeState(dir, state);
  return state;
}

/** Whether what runs in `dir` answers: { up, state, problems } (each problem says what is wrong). */
async function status(dir) {
  const state = refresh(dir);
  if (!state) return { up: false, state, problems: [`nothing was started in ${dir}`] };
  const problems = [];
  for (const node of kafka.kafkaNodes(state.kafka)) {
    const kafkaLog = path.join(node.dir, 'server.log');
    if (!kafka.brokerPid(node)) problems.push(`${nodeName(state, node)} is not running (its log: ${kafkaLog})`);
    else if (!(await isListening(node.port))) problems.push(`${nodeName(state, node)} runs but does not answer on port ${node.port} (its log: ${kafkaLog})`);
  }
  if (state.postgres.embedded) {
    const pgLog = path.join(state.postgres.dir, 'postgres.log');
    if (!postgres.serverPid(state.postgres)) problems.push(`PostgreSQL is not running (its log: ${pgLog})`);
    else if (!(await isListening(state.postgres.port))) problems.push(`PostgreSQL runs but does not answer on port ${state.postgres.port} (its log: ${pgLog})`);
  }
  return { up: problems.length === 0, state, problems };
}

/**
 * Stops the broker of `dir` (whichever process runs it) and starts it again on the same port and data; on a
 * cluster, every node, or node `node` alone (the others keep running).
 */
async function restartKafka({ dir, node, quiet = false }) {
  const state = refresh(dir);
  if (!state) throw new Error(`nothing was started in ${dir}; start it with: npm run infra:up (or npm start)`);
  if (state.kafka.nodes) {
    if (node !== undefined) {
      if (!quiet) log(`stopping Kafka node ${node}...`);
      await kafka.stopKafkaNode(state.kafka, node);
      await kafka.startKafkaNode(state.kafka, node, { quiet });
      if (!quiet) log(`Kafka node ${node} is back in the cluster`);
    } else {
      if (!quiet) log('stopping the Kafka cluster...');
      await kafka.stopKafka(state.kafka);
      state.kafka = await kafka.startKafkaCluster({ dir: state.kafka.dir, nodes: state.kafka.nodes.length, quiet, extra: state.kafka.extra });
    }
    writeState(dir, state);
    return state;
  }
  if (node !== undefined && node !== 1) throw new Error(`Kafka runs as one node in ${dir}: there is no node ${node}`);
  if (!quiet) log('stopping Kafka...');
  await kafka.stopKafka(state.kafka);
  const { port, controllerPort } = state.kafka;
  state.kafka = await kafka.startKafka({ dir: state.kafka.dir, port, controllerPort, quiet });
  writeState(dir, state);
  return state;
}

/**
 * Brings the infrastructure up in `dir` (or finds it already up). Options:
 * - kafkaPort, pgPort: preferred ports (a free one is used when taken); 0 = any free port
 * - kafkaNodes: 1 (one broker) or 3 (a cluster of 3 nodes, on kafkaPort, kafkaPort+1 and kafkaPort+2 when free)
 * - kafkaExtra: more broker settings of a cluster (e.g. shorter failure detection in tests)
 * - databaseUrl: an existing PostgreSQL server to use instead of the embedded one
 * - durable: fsync on for the embedded server (off only for throw-away test clusters)
 * - databases: map service -> database name (default: the service name)
 */
async function up({ dir, kafkaPort = 0, pgPort = 0, kafkaNodes = 1, kafkaExtra = {}, databaseUrl, durable = true, databases = {}, quiet = false }) {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755); // PostgreSQL may run as another user (when we are root) and must reach its folder
  const existing = refresh(dir);
  const running = existing ? kafka.kafkaNodes(existing.kafka).length : 0;
  if (isUp(existing) && running !== kafkaNodes) {
    throw new Error(
      `Kafka already runs in ${dir} with ${running} node${running === 1 ? '' : 's'}, not ${kafkaNodes}: stop it first (npm run infra:down), or set KAFKA_NODES=${running}`,
    );
  }
  if (isUp(existing)) {
    if (!quiet) log(`already up (Kafka ${existing.kafka.brokers}, PostgreSQL ${redact(existing.postgres.url)})`);
    return existing;
  }
  if (existing) await stopInfra({ dir });

  const names = Object.fromEntries(SERVICES.map((s) => [s, databases[s] || s]));
  const [kResult, pgResult] = await Promise.allSettled([
    kafkaNodes > 1
      ? kafka.startKafkaCluster({
          dir: path.join(dir, 'kafka'),
          nodes: kafkaNodes,
          ports: kafkaPort ? Array.from({ length: kafkaNodes }, (_, i) => kafkaPort + i) : [],
          extra: kafkaExtra,
          quiet,
        })
      : (async () => kafka.startKafka({ dir: path.join(dir, 'kafka'), port: await portOr(kafkaPort), quiet }))(),
    databaseUrl
      ? Promise.resolve({ embedded: false, url: databaseUrl })
      : (async () => postgres.startEmbedded({ dir: path.join(dir, 'postgres'), port: await portOr(pgPort), durable, quiet }))(),
  ]);
  if (kResult.status === 'rejected' || pgResult.status === 'rejected') {
    await stopInfra({ dir }); // whichever did start must not be left running
    throw kResult.status === 'rejected' ? kResult.reason : pgResult.reason;
  }
  const k = kResult.value;
  const pg = pgResult.value;
  const state = { kafka: k, postgres: pg, databases: names, owner: process.pid };
  writeState(dir, state);
  try {
    await postgres.ensureDatabases(pg.url, Object.values(names));
  } catch (err) {
    await stopInfra({ dir }); // a half-made stack must not be left running
    const fix = pg.embedded
      ? `see ${path.join(pg.dir, 'postgres.log')}`
      : 'check DATABASE_URL: the server must run, accept that user and let it create databases';
    throw new Error(`could not create the databases on PostgreSQL ${redact(pg.url)}: ${err.message}; ${fix}`);
  }
  if (!quiet) log(`databases ready: ${Object.values(names).join(', ')}`);
  return state;
}

/** What runs in `dir`, from state.json or, when `up` did not get to write it, from the parts' own files. */
function partsOf(dir) {
  const state = readState(dir);
  if (state) return state;
  let k = null;
  try {
    k = JSON.parse(fs.readFileSync(path.join(dir, 'kafka', 'kafka.json'), 'utf8'));
  } catch {
    /* no broker was started */
  }
  const pgDir = postgres.findServerDir(path.join(dir, 'postgres'));
  const pg = pgDir ? { embedded: true, dir: pgDir } : null;
  return k || pg ? { kafka: k, postgres: pg } : null;
}

/** Stops Kafka and PostgreSQL of `dir`; true if anything was recorded there. */
async function stopInfra({ dir }) {
  const state = partsOf(dir);
  if (!state) return false;
  await Promise.all([kafka.stopKafka(state.kafka), state.postgres && postgres.stopEmbedded(state.postgres)]);
  fs.rmSync(stateFile(dir), { force: true });
  return true;
}

/** Stops everything of `dir`: Prometheus and Zipkin (`npm start -- --observe`), Kafka and PostgreSQL. */
async function down({ dir, quiet = false }) {
  const observed = await observe.stop(dir);
  const stopped = await stopInfra({ dir });
  if (quiet) return;
  if (observed) log('Prometheus and Zipkin stopped');
  log(stopped ? 'Kafka and PostgreSQL stopped' : observed ? 'Kafka and PostgreSQL were not running' : 'nothing to stop');
}

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

module.exports = { up, down, status, refresh, restartKafka, readState, envFor, isUp, redact, SERVICES };
