#!/usr/bin/env node
'use strict';
// `npm start`: brings up Kafka and PostgreSQL, builds and starts orders, inventory and shipping,
// waits until each is ready, prints where they are, and tears everything down on Ctrl-C.
const fs = require('node:fs');
const path = require('node:path');
const stack = require('./lib/stack');
const apps = require('./lib/apps');
const { readPort } = require('./lib/env');
const { log } = require('./lib/proc');

const dir = path.resolve(process.env.INFRA_DIR || path.join(apps.ROOT, '.data', 'infra'));
const logDir = path.join(apps.ROOT, '.data', 'logs');

/** Reads KEY=VALUE lines of .env (if any) into the environment, without overriding what is set. */
function loadDotEnv() {
  const file = path.join(apps.ROOT, '.env');
  if (!fs.existsSync(file)) return;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && process.env[m[1]] === undefined) process.env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
}

async function main() {
  loadDotEnv();
  const started = Date.now();
  const children = [];
  let stopping = false;
  const shutdown = async (why, code = 0) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping the apps, then Kafka and PostgreSQL...`);
    await Promise.all(children.map((c) => apps.stopApp(c)));
    await stack.down({ dir, quiet: true });
    log('everything stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => shutdown('Ctrl-C'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  log('1/3 infrastructure');
  const state = await stack.up({ dir, kafkaPort: readPort('KAFKA_PORT', 9092), pgPort: readPort('PG_PORT', 5433), databaseUrl: process.env.DATABASE_URL || undefined });
  log('2/3 building the apps (only what changed)');
  apps.buildApps();
  log('3/3 starting orders, inventory and shipping');
  fs.mkdirSync(logDir, { recursive: true });
  const adminToken = process.env.ADMIN_TOKEN || apps.randomToken();
  for (const app of apps.APPS) {
    const child = apps.startApp(app, apps.appEnv(state, app, { ADMIN_TOKEN: adminToken }), path.join(logDir, `${app.name}.log`));
    children.push(child);
    child.once('exit', (code) => {
      if (!stopping) shutdown(`${app.name} exited with code ${code} (see .data/logs/${app.name}.log)`, 1);
    });
  }
  await Promise.all(apps.APPS.map((app, i) => apps.waitReady(app, { child: children[i] })));

  const line = (s) => process.stdout.write(`${s}\n`);
  line('');
  line(`Ready in ${((Date.now() - started) / 1000).toFixed(1)}s:`);
  line(`  orders     http://127.0.0.1:3000   (POST /orders, GET /orders/:id)`);
  line(`  inventory  http://127.0.0.1:3001   (GET /products; admin token: ${process.env.ADMIN_TOKEN ? '$ADMIN_TOKEN' : adminToken})`);
  line(`  shipping   http://127.0.0.1:3002   (GET /shipments/:orderId)`);
  line(`  Kafka      ${state.kafka.brokers}`);
  line(`  PostgreSQL ${stack.redact(state.postgres.url)} (databases: orders, inventory, shipping)`);
  line(`  logs       .data/logs/*.log`);
  line('Press Ctrl-C to stop everything.');
}

main().catch(async (err) => {
  log(`start failed: ${err.message}`);
  await stack.down({ dir, quiet: true }).catch(() => {});
  process.exit(1);
});
