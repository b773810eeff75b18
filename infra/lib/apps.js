'use strict';
// Builds and runs the three services as child processes against the local infrastructure.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { waitFor, stopProcess, log } = require('./proc');
const { envFor } = require('./stack');
const { readPort } = require('./env');
const { isListening } = require('./ports');

const ROOT = path.resolve(__dirname, '..', '..');
const APPS = [
  { name: 'orders', port: 3000 },
  { name: 'inventory', port: 3001 },
  { name: 'shipping', port: 3002 },
];

/** The apps with their HTTP ports: ORDERS_PORT, INVENTORY_PORT and SHIPPING_PORT override the defaults. */
function configuredApps() {
  const list = APPS.map((app) => ({ ...app, port: readPort(`${app.name.toUpperCase()}_PORT`, app.port) }));
  for (const [i, app] of list.entries()) {
    const other = list.slice(0, i).find((a) => a.port === app.port);
    if (other) throw new Error(`${other.name} and ${app.name} would both listen on port ${app.port}; set ${app.name.toUpperCase()}_PORT to another port`);
  }
  return list;
}

/** The most replicas of each app npm start runs (APP_REPLICAS): beyond that the apps outgrow a small machine. */
const MAX_REPLICAS = 4;
/** Replica k (0-based) of an app listens on the app's port + REPLICA_PORT_STEP * k. */
const REPLICA_PORT_STEP = 100;

/** APP_REPLICAS: how many instances of each app npm start runs (1 when unset). */
function readReplicas(raw = process.env.APP_REPLICAS) {
  if (raw === undefined || raw === '') return 1;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_REPLICAS) {
    throw new Error(`APP_REPLICAS must be a whole number from 1 to ${MAX_REPLICAS} (instances of each app), got "${raw}"`);
  }
  return Number(raw);
}

/**
 * The instances npm start runs (pure): `replicas` of each app of `list`, app by app. Replica k (0-based)
 * listens on the app's port + 100*k and logs to <app>.log (the first) or <app>-<k+1>.log; `label` names it
 * in messages ("orders", "orders #2") and `portSetting` says where its port comes from. Throws, naming the
 * settings, when a port would pass 65535 or two instances would share one.
 */
function instancesOf(list, replicas) {
  const instances = [];
  for (const app of list) {
    const setting = `${app.name.toUpperCase()}_PORT`;
    for (let k = 0; k < replicas; k++) {
      const port = app.port + REPLICA_PORT_STEP * k;
      const label = k === 0 ? app.name : `${app.name} #${k + 1}`;
      const portSetting = k === 0 ? setting : `${setting} + ${REPLICA_PORT_STEP * k}`;
      if (port > 65535) {
        throw new Error(`${label} would listen on port ${port} (${portSetting}), past 65535: set ${setting} lower, or APP_REPLICAS lower`);
      }
      instances.push({ name: app.name, port, replica: k + 1, label, logName: k === 0 ? app.name : `${app.name}-${k + 1}`, portSetting });
    }
  }
  for (const [i, inst] of instances.entries()) {
    const other = instances.slice(0, i).find((a) => a.port === inst.port);
    if (other) {
      throw new Error(
        `${other.label} (${other.portSetting}) and ${inst.label} (${inst.portSetting}) would both listen on port ${inst.port}: ` +
          `with APP_REPLICAS=${replicas}, replica #k of an app listens on its port + ${REPLICA_PORT_STEP}*(k-1); set the apps' ports further apart`,
      );
    }
  }
  return instances;
}

/**
 * Fails when something already listens on the port of an app (or an instance of `instancesOf`): an app
 * started there would crash at once.
 */
async function checkPortsFree(list) {
  for (const app of list) {
    if (await isListening(app.port)) {
      const setting = `${app.name.toUpperCase()}_PORT`;
      const fix = app.portSetting && app.portSetting !== setting ? `set ${setting} so that ${app.portSetting} is free` : `set ${setting} to a free port`;
      throw new Error(`port ${app.port} (${app.label ?? app.name}) is taken by another process: stop it, or ${fix}`);
    }
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** The compiler's first errors in a build's output, without colours (all of it can be long). */
function buildErrors(name, output) {
  const colour = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
  const lines = output.replace(colour, '').trimEnd().split('\n');
  const first = lines.findIndex((l) => /ERROR|error/.test(l));
  const shown = lines.slice(first < 0 ? -20 : first, (first < 0 ? lines.length : first) + 20).join('\n');
  return `${shown}\n(fix the code, then npm start builds again; npx nest build ${name} shows the whole output)`;
}

/** Builds each app whose bundle is missing or older than the sources. */
function buildApps(names = APPS.map((a) => a.name)) {
  const sources = Math.max(newestMtime(path.join(ROOT, 'libs')), ...names.map((n) => newestMtime(path.join(ROOT, 'apps', n, 'src'))));
  for (const name of names) {
    const bundle = path.join(ROOT, 'dist', 'apps', name, 'main.js');
    if (fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= sources) continue;
    log(`building ${name}...`);
    const r = spawnSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build', name], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0)
      throw new Error(`nest build ${name} failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${buildErrors(name, r.stdout + r.stderr)}`);
  }
}

/** The environment of one app: infrastructure endpoints, its port, and the caller's settings. */
function appEnv(state, app, extra = {}) {
  return { ...process.env, ...envFor(state, app.name), ...boardEnv(app.name), PORT: String(app.port), ...extra };
}

/** The order board (in orders) shows the other apps' outbox backlog and consumer lag from their /metrics: here they are. */
function boardEnv(name) {
  if (name !== 'orders') return {};
  const peers = configuredApps().filter((a) => a.name !== 'orders');
  return { BOARD_PEER_URLS: peers.map((a) => `${a.name}=http://127.0.0.1:${a.port}`).join(',') };
}

/**
 * node's flags for every app. A young generation of 64 MB semi-spaces (Node 20 has 16): in a burst of
 * orders, requests in flight and consumer batches outlive a small one's scavenges, and are copied and
 * promoted. More intake in bursts for more memory (see docs/decisions/008-young-generation-64mb.md).
 * The Dockerfile starts the apps with the same flag.
 */
const APP_NODE_DEFAULTS = ['--enable-source-maps', '--max-semi-space-size=64'];

/** Fails unless `distDir` (APP_DIST_DIR, when set) holds a bundle of every app. */
function checkDist(distDir) {
  if (!distDir) return;
  const missing = APPS.map((a) => path.join(path.resolve(distDir), 'apps', a.name, 'main.js')).filter((f) => !fs.existsSync(f));
  if (missing.length) throw new Error(`APP_DIST_DIR has no bundle at ${missing.join(', ')}: build that checkout first (npm run build there)`);
}

/** Starts an app from its bundle; output goes to `logFile` (or is inherited). */
function startApp(app, env, logFile) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'inherit';
  // APP_NODE_ARGS passes extra flags to the apps' node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them);
  // they come after the defaults, so a flag given there wins
  const extraArgs = (env.APP_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  // APP_DIST_DIR runs the bundles of another build (another checkout's `dist`, built there): with
  // `COMPARE_SETTING=APP_DIST_DIR`, bench:compare measures two versions of the code side by side
  const dist = env.APP_DIST_DIR ? path.resolve(env.APP_DIST_DIR) : path.join(ROOT, 'dist');
  const bundle = path.join(dist, 'apps', app.name, 'main.js');
  if (!fs.existsSync(bundle)) throw new Error(`no bundle at ${bundle}${env.APP_DIST_DIR ? ' (APP_DIST_DIR): build that checkout first' : ''}`);
  const child = spawn(process.execPath, [...APP_NODE_DEFAULTS, ...extraArgs, bundle], {
    cwd: ROOT,
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  if (logFile) fs.closeSync(out);
  return child;
}

async function waitReady(app, { timeoutMs = 60_000, child } = {}) {
  await waitFor(
    `${app.name} /health/ready`,
    async () => {
      if (child && child.exitCode !== null) throw new Error(`${app.name} exited with code ${child.exitCode}`);
      const res = await fetch(`http://127.0.0.1:${app.port}/health/ready`);
      return res.ok;
    },
    { timeoutMs, intervalMs: 300 },
  );
}

async function stopApp(child) {
  if (child && child.exitCode === null) await stopProcess(child.pid, { signal: 'SIGTERM', graceMs: 20_000 });
}

function randomToken() {
  return crypto.randomBytes(18).toString('base64url');
}

module.exports = {
  APPS,
  ROOT,
  MAX_REPLICAS,
  configuredApps,
  readReplicas,
  instancesOf,
  checkPortsFree,
  checkDist,
  buildApps,
  appEnv,
  boardEnv,
  startApp,
  waitReady,
  stopApp,
  randomToken,
};
