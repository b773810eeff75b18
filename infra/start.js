#!/usr/bin/env node
'use strict';
// `npm start`: brings up Kafka and PostgreSQL, builds and starts orders, inventory and shipping
// (APP_REPLICAS of each), waits until each is ready, prints where they are, keeps them running (an app
// that crashes is restarted), and tears everything down on Ctrl-C. With --observe (OBSERVE=1), Prometheus and
// Zipkin too, the apps sending their traces to Zipkin and orders' board linking each order to its trace there.
const fs = require('node:fs');
const path = require('node:path');
const stack = require('./lib/stack');
const apps = require('./lib/apps');
const { supervise } = require('./lib/supervisor');
const { readPort } = require('./lib/env');
const { readNodes } = require('./lib/kafka');
const observe = require('./lib/observe');
const { log } = require('./lib/proc');

const dir = path.resolve(process.env.INFRA_DIR || path.join(apps.ROOT, '.data', 'infra'));
// with INFRA_DIR set, the apps' logs go there too (a second checkout or a test keeps its own)
const logDir = process.env.INFRA_DIR ? path.join(dir, 'logs') : path.join(apps.ROOT, '.data', 'logs');
const FIRST_READY_TIMEOUT_MS = 90_000;

/** Reads KEY=VALUE lines of .env (if any) into the environment, without overriding what is set. */
function loadDotEnv() {
  const file = path.join(apps.ROOT, '.env');
  if (!fs.existsSync(file)) return;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
}

/** An instance's log: <app>.log for the first replica, <app>-2.log for the second... */
function logFileOf(instance) {
  return path.join(logDir, `${instance.logName}.log`);
}

function shown(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const supervised = [];
let observing = false;
let stopping = false;
let infraTouched = false; // a bad setting found before must not stop infrastructure that `infra:up` started

async function shutdown(why, code = 0) {
  if (stopping) return;
  stopping = true;
  log(why);
  if (!infraTouched) process.exit(code);
  log(`stopping the apps, then ${observing ? 'Prometheus, Zipkin, ' : ''}Kafka and PostgreSQL...`);
  await Promise.all(supervised.map((s) => s.stop()));
  await stack.down({ dir, quiet: true }).catch((err) => log(`could not stop the infrastructure: ${err.message}`));
  log('everything stopped');
  process.exit(code);
}

/** Resolves when every instance was ready once; rejects naming the ones that were not, after `ms`. */
function allReady(instances, handles, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const late = instances.filter((_, i) => !handles[i].ready).map((a) => `${a.label} (see ${shown(logFileOf(a))})`);
      reject(new Error(`not ready after ${ms / 1000}s: ${late.join(', ')}`));
    }, ms);
  });
  const ready = Promise.all(handles.map((h) => h.firstReady.then(() => (h.ready = true))));
  return Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The URL of the board of the orders instance on `port`, or null if it serves none (BOARD_ENABLED=false): asked of
 * orders, which reads that setting from the environment or .env, rather than parsed a second time here.
 */
async function boardUrl(port) {
  const url = `http://127.0.0.1:${port}/board`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.ok ? url : null;
  } catch {
    return null;
  }
}

async function main() {
  loadDotEnv();
  const started = Date.now();
  process.on('SIGINT', () => shutdown('Ctrl-C'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  observing = observe.readObserve(); // bad arguments, ports and replica counts fail here, before anything starts
  const list = apps.configuredApps();
  const replicas = apps.readReplicas();
  const instances = apps.instancesOf(list, replicas);
  const kafkaPort = readPort('KAFKA_PORT', 9092);
  const pgPort = readPort('PG_PORT', 5433);
  const kafkaNodes = readNodes();
  let observePorts = null;
  if (observing) {
    observe.prometheusBinary(); // says how to install it when missing
    observePorts = await observe.choosePorts(instances, { prometheus: readPort('PROMETHEUS_PORT', 9090), zipkin: readPort('ZIPKIN_PORT', 9411) });
  }
  await apps.checkPortsFree(instances);
  apps.checkDist(process.env.APP_DIST_DIR);
  log(`1/3 infrastructure${observing ? ' (and Zipkin)' : ''}`);
  infraTouched = true;
  // Zipkin takes 10-20 s to start: it starts while Kafka, PostgreSQL and the apps do (Prometheus once they are up)
  const watching = observing ? await observe.start({ infraDir: dir, instances, ports: observePorts }) : null;
  const state = await stack.up({ dir, kafkaPort, kafkaNodes, pgPort, databaseUrl: process.env.DATABASE_URL || undefined });
  if (process.env.APP_DIST_DIR) {
    log(`2/3 running the apps built in APP_DIST_DIR (${process.env.APP_DIST_DIR}); not building`);
  } else {
    log('2/3 building the apps (only what changed)');
    apps.buildApps();
  }
  log(`3/3 starting orders, inventory and shipping${replicas > 1 ? ` (${replicas} replicas of each)` : ''}`);
  fs.mkdirSync(logDir, { recursive: true });
  const adminToken = process.env.ADMIN_TOKEN || apps.randomToken();
  // replicas of a service get the same environment but their port: one database, one consumer group (the
  // service's name), one outbox whose lanes their relays share
  for (const instance of instances) {
    const logFile = logFileOf(instance);
    const env = apps.appEnv(state, instance, { ADMIN_TOKEN: adminToken, ...(watching ? observe.tracingEnv(watching.zipkin.port, instance.name) : {}) });
    supervised.push(
      supervise(
        { name: instance.label },
        {
          start: () => apps.startApp(instance, env, logFile),
          isReady: async () => (await fetch(`http://127.0.0.1:${instance.port}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok,
          stopChild: (child) => apps.stopApp(child),
          logFile: shown(logFile),
          onGiveUp: (message) => shutdown(message, 1),
        },
      ),
    );
  }
  await Promise.all([allReady(instances, supervised, FIRST_READY_TIMEOUT_MS), watching?.zipkinReady]);
  const prometheus = watching ? await watching.startPrometheus() : null;

  const notes = {
    orders: '(POST /orders, GET /orders/:id)',
    inventory: `(GET /products; admin token: ${process.env.ADMIN_TOKEN ? '$ADMIN_TOKEN' : adminToken})`,
    shipping: '(GET /shipments/:orderId)',
  };
  // one line per instance, the first replica of each app with what it serves
  const width = Math.max(10, ...instances.map((i) => i.label.length));
  const line = (label, text) => process.stdout.write(`${label ? `  ${label.padEnd(width)} ${text}` : text}\n`);
  line(null, '');
  line(null, `Ready in ${((Date.now() - started) / 1000).toFixed(1)}s${replicas > 1 ? ` (${replicas} replicas of each app)` : ''}:`);
  for (const instance of instances) {
    const url = `http://127.0.0.1:${instance.port}`;
    line(instance.label, instance.replica === 1 ? `${url.padEnd(24)}${notes[instance.name]}` : url);
  }
  const board = await boardUrl(instances.find((i) => i.name === 'orders').port);
  if (board) {
    // each replica's board shows the orders that replica handles (docs/operations.md, The order board)
    const whose = replicas > 1 ? '; each orders replica has its own at /board' : '';
    line('board', `${board}  (the live order board${watching ? ', each order linked to its trace in Zipkin' : ''}${whose})`);
  }
  line('Kafka', `${state.kafka.brokers}${state.kafka.nodes ? ` (${state.kafka.nodes.length} nodes; topics: 3 replicas, min.insync.replicas 2)` : ''}`);
  line('PostgreSQL', `${stack.redact(state.postgres.url)} (databases: orders, inventory, shipping)`);
  if (watching) {
    const { zipkin } = watching;
    const scrapes = `scrapes the ${instances.length} app instances every ${observe.SCRAPE_INTERVAL_SECONDS}s`;
    line('Prometheus', `${prometheus.url.padEnd(24)}(alerts: ${prometheus.alerts}; ${scrapes})`);
    line('Zipkin', `${zipkin.url}/zipkin/  (the apps' traces)`);
  }
  line('logs', `${shown(logDir)}/*.log`);
  line(null, 'Press Ctrl-C to stop everything. An app that crashes is restarted.');
}

main().catch((err) => shutdown(`start failed: ${err.message}`, 1));
