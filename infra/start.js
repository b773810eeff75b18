#!/usr/bin/env node
'use strict';
// `npm start`: brings up Kafka and PostgreSQL, builds and starts orders, inventory and shipping,
// waits until each is ready, prints where they are, keeps them running (an app that crashes is
// restarted), and tears everything down on Ctrl-C.
const fs = require('node:fs');
const path = require('node:path');
const stack = require('./lib/stack');
const apps = require('./lib/apps');
const { supervise } = require('./lib/supervisor');
const { readPort } = require('./lib/env');
const { readNodes } = require('./lib/kafka');
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

function shown(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const supervised = [];
let stopping = false;
let infraTouched = false; // a bad setting found before must not stop infrastructure that `infra:up` started

async function shutdown(why, code = 0) {
  if (stopping) return;
  stopping = true;
  log(why);
  if (!infraTouched) process.exit(code);
  log('stopping the apps, then Kafka and PostgreSQL...');
  await Promise.all(supervised.map((s) => s.stop()));
  await stack.down({ dir, quiet: true }).catch((err) => log(`could not stop Kafka and PostgreSQL: ${err.message}`));
  log('everything stopped');
  process.exit(code);
}

/** Resolves when every app was ready once; rejects naming the apps that were not, after `ms`. */
function allReady(list, handles, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const late = list.filter((_, i) => !handles[i].ready).map((a) => `${a.name} (see ${shown(path.join(logDir, `${a.name}.log`))})`);
      reject(new Error(`not ready after ${ms / 1000}s: ${late.join(', ')}`));
    }, ms);
  });
  const ready = Promise.all(handles.map((h) => h.firstReady.then(() => (h.ready = true))));
  return Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  loadDotEnv();
  const started = Date.now();
  process.on('SIGINT', () => shutdown('Ctrl-C'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const list = apps.configuredApps(); // bad ports fail here, before anything starts
  const kafkaPort = readPort('KAFKA_PORT', 9092);
  const pgPort = readPort('PG_PORT', 5433);
  const kafkaNodes = readNodes();
  await apps.checkPortsFree(list);
  apps.checkDist(process.env.APP_DIST_DIR);
  log('1/3 infrastructure');
  infraTouched = true;
  const state = await stack.up({ dir, kafkaPort, kafkaNodes, pgPort, databaseUrl: process.env.DATABASE_URL || undefined });
  if (process.env.APP_DIST_DIR) {
    log(`2/3 running the apps built in APP_DIST_DIR (${process.env.APP_DIST_DIR}); not building`);
  } else {
    log('2/3 building the apps (only what changed)');
    apps.buildApps();
  }
  log('3/3 starting orders, inventory and shipping');
  fs.mkdirSync(logDir, { recursive: true });
  const adminToken = process.env.ADMIN_TOKEN || apps.randomToken();
  for (const app of list) {
    const logFile = path.join(logDir, `${app.name}.log`);
    const env = apps.appEnv(state, app, { ADMIN_TOKEN: adminToken });
    supervised.push(
      supervise(app, {
        start: () => apps.startApp(app, env, logFile),
        isReady: async () => (await fetch(`http://127.0.0.1:${app.port}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok,
        stopChild: (child) => apps.stopApp(child),
        logFile: shown(logFile),
        onGiveUp: (message) => shutdown(message, 1),
      }),
    );
  }
  await allReady(list, supervised, FIRST_READY_TIMEOUT_MS);

  const url = (name) => `http://127.0.0.1:${list.find((a) => a.name === name).port}`.padEnd(24);
  const line = (s) => process.stdout.write(`${s}\n`);
  line('');
  line(`Ready in ${((Date.now() - started) / 1000).toFixed(1)}s:`);
  line(`  orders     ${url('orders')}(POST /orders, GET /orders/:id)`);
  line(`  inventory  ${url('inventory')}(GET /products; admin token: ${process.env.ADMIN_TOKEN ? '$ADMIN_TOKEN' : adminToken})`);
  line(`  shipping   ${url('shipping')}(GET /shipments/:orderId)`);
  line(`  Kafka      ${state.kafka.brokers}${state.kafka.nodes ? ` (${state.kafka.nodes.length} nodes; topics: 3 replicas, min.insync.replicas 2)` : ''}`);
  line(`  PostgreSQL ${stack.redact(state.postgres.url)} (databases: orders, inventory, shipping)`);
  line(`  logs       ${shown(logDir)}/*.log`);
  line('Press Ctrl-C to stop everything. An app that crashes is restarted.');
}

main().catch((err) => shutdown(`start failed: ${err.message}`, 1));
