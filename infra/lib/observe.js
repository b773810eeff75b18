'use strict';
// `npm start -- --observe` (or OBSERVE=1): Prometheus scraping every app instance and evaluating the alert rules
// of infra/prometheus/alerts.yml, and Zipkin receiving the apps' traces, run beside Kafka and PostgreSQL in the
// launcher's folder. What runs is recorded in observe.json there, so that `node infra/cli.js down` stops it too.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { waitFor, stopProcess, log, listProcesses, isAlive } = require('./proc');
const { portOr, freePort, isListening } = require('./ports');
const maven = require('./maven');

const INFRA = path.resolve(__dirname, '..');
const ALERTS_FILE = path.join(INFRA, 'prometheus', 'alerts.yml');
const ZIPKIN_POM_DIR = path.join(INFRA, 'zipkin');
const ZIPKIN_VERSION = '3.5.1';
const ZIPKIN_JAR = path.join(ZIPKIN_POM_DIR, 'libs', `zipkin-server-${ZIPKIN_VERSION}-exec.jar`);
/** Often enough to watch an order go by; each scrape costs every instance a backlog query and a lag read. */
const SCRAPE_INTERVAL_SECONDS = 5;
/** Zipkin keeps its spans in memory: a bound that fits its heap (the oldest traces go first). */
const ZIPKIN_MAX_SPANS = 50_000;
const ZIPKIN_HEAP_MB = 256;
const READY_TIMEOUT_MS = 120_000;
const USAGE = 'usage: npm start [-- --observe]   (or OBSERVE=1 npm start)';

/** Whether to observe: the `--observe` argument or OBSERVE (1/true or 0/false); anything else is refused. */
function readObserve(args = process.argv.slice(2), raw = process.env.OBSERVE) {
  for (const arg of args) {
    if (arg !== '--observe') throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  if (args.length > 0) return true;
  if (raw === undefined || raw === '') return false;
  const value = raw.trim().toLowerCase();
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new Error(`OBSERVE must be 1 or true (start Prometheus and Zipkin too), or 0 or false, got "${raw}"`);
}

/** The full path of `name` on the PATH of `env`, or null. */
function findOnPath(name, { PATH: searchPath = '' } = process.env) {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not there */
    }
  }
  return null;
}

/** Prometheus' binary; fails, saying how to install it, when it is not on PATH. */
function prometheusBinary(env = process.env) {
  const bin = findOnPath('prometheus', env);
  if (bin) return bin;
  throw new Error(
    'Prometheus was not found on PATH: --observe (OBSERVE=1) runs it to scrape the apps.\n' +
      'Install it (Debian, Ubuntu: apt-get install --no-install-recommends prometheus; elsewhere a Prometheus 2.x or 3.x ' +
      'release with its `prometheus` binary on PATH), or start without --observe.',
  );
}

/**
 * Ports for Prometheus and Zipkin: the preferred ones (PROMETHEUS_PORT, ZIPKIN_PORT) when free, otherwise free
 * ones, never the port of an app instance or of each other; a preferred port that belongs to an app is refused.
 */
async function choosePorts(instances, preferred) {
  const owners = new Map(instances.map((i) => [i.port, `${i.label} (${i.portSetting ?? `${i.name.toUpperCase()}_PORT`})`]));
  const ports = {};
  for (const [name, label, setting, port] of [
    ['prometheus', 'Prometheus', 'PROMETHEUS_PORT', preferred.prometheus],
    ['zipkin', 'Zipkin', 'ZIPKIN_PORT', preferred.zipkin],
  ]) {
    if (owners.has(port)) throw new Error(`${setting} ${port} is the port of ${owners.get(port)}: set ${setting} to another port`);
    let chosen = await portOr(port);
    while (owners.has(chosen)) chosen = await freePort();
    owners.set(chosen, `${label} (${setting})`);
    ports[name] = chosen;
  }
  return ports;
}

/** prometheus.yml (pure): one scrape job per app, named after it, listing its instances; the alert rules loaded. */
function prometheusConfig({ instances, alertsFile = ALERTS_FILE, intervalSeconds = SCRAPE_INTERVAL_SECONDS }) {
  const jobs = [...new Set(instances.map((i) => i.name))];
  const lines = [
    '# Written by npm start --observe (infra/lib/observe.js) for the instances of this run; rewritten at every start.',
    'global:',
    `  scrape_interval: ${intervalSeconds}s`,
    `  scrape_timeout: ${Math.max(1, intervalSeconds - 1)}s`,
    `  evaluation_interval: ${intervalSeconds}s`,
    'rule_files:',
    `  - ${JSON.stringify(alertsFile)}`,
    'scrape_configs:',
  ];
  for (const job of jobs) {
    const targets = instances.filter((i) => i.name === job).map((i) => JSON.stringify(`127.0.0.1:${i.port}`));
    lines.push(`  - job_name: ${job}`, '    static_configs:', `      - targets: [${targets.join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** The page of one trace in the UI of the Zipkin on `port` (Zipkin 3's UI routes /zipkin/traces/:traceId). */
function traceUrl(port) {
  return `http://127.0.0.1:${port}/zipkin/traces/{traceId}`;
}

/**
 * What app `name` needs to send its traces to the Zipkin on `port` (the standard OpenTelemetry variables); orders
 * also gets BOARD_TRACE_URL, so that its board links each order to its trace there.
 */
function tracingEnv(port, name) {
  const env = { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${port}/api/v2/spans` };
  return name === 'orders' ? { ...env, BOARD_TRACE_URL: traceUrl(port) } : env;
}

function zipkinJarPresent() {
  return fs.existsSync(ZIPKIN_JAR);
}

/** Fetches Zipkin's server jar with Maven (cached in ~/.m2 and in infra/zipkin/libs). */
function ensureZipkinJar() {
  if (!maven.hasCommand('java')) throw new Error('Java (17 or newer) was not found on PATH: Zipkin, which --observe runs, needs it.');
  maven.ensureJars({
    what: `the Zipkin ${ZIPKIN_VERSION} server jar`,
    pom: path.join(ZIPKIN_POM_DIR, 'pom.xml'),
    dir: path.dirname(ZIPKIN_JAR),
    present: zipkinJarPresent,
  });
}

function stateFile(dir) {
  return path.join(dir, 'observe.json');
}

function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dir), 'utf8'));
  } catch {
    return null;
  }
}

/** The marker in a part's command line that tells it apart from other programs (and other checkouts' parts). */
function markerOf(part) {
  return part.name === 'prometheus' ? `--config.file=${path.join(part.dir, 'prometheus.yml')}` : `-Dlauncher.observe.dir=${part.dir}`;
}

/** The pid of the process that runs `part` now (looked up by its command line, as a recorded pid may be reused), or null. */
function pidOf(part) {
  const marker = markerOf(part);
  const found = listProcesses().find((p) => p.argv.includes(marker));
  return found && isAlive(found.pid) ? found.pid : null;
}

/** Spawns a part detached (stopped with its process group), its output appended to its log; returns how it ended, once it has. */
function spawnPart(part, command, args, env) {
  fs.mkdirSync(part.dir, { recursive: true });
  const out = fs.openSync(part.log, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  child.unref();
  const exit = { reason: null };
  child.once('error', (err) => (exit.reason = `could not be run (${err.message})`));
  child.once('exit', (code, signal) => (exit.reason = signal ? `was killed by ${signal}` : `exited with code ${code}`));
  part.pid = child.pid;
  return exit;
}

function startPrometheus({ dir, port, instances }) {
  const bin = prometheusBinary();
  const part = { name: 'prometheus', dir, port, log: path.join(dir, 'prometheus.log'), url: `http://127.0.0.1:${port}`, targets: instances.length };
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), prometheusConfig({ instances }));
  const exit = spawnPart(part, bin, [
    markerOf(part),
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--storage.tsdb.retention.time=2d',
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  return { part, exit, probe: `${part.url}/-/ready` };
}

function startZipkin({ dir, port }) {
  const part = { name: 'zipkin', dir, port, log: path.join(dir, 'zipkin.log'), url: `http://127.0.0.1:${port}` };
  const args = [
    '-Xms64m',
    `-Xmx${ZIPKIN_HEAP_MB}m`,
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:+UseSerialGC',
    // the client compiler only: it starts in a third of the time on a busy 2-core machine, and Zipkin idles here
    '-XX:TieredStopAtLevel=1',
    markerOf(part),
    '-jar',
    ZIPKIN_JAR,
    // on the loopback interface only (the default is every interface)
    '--armeria.ports[0].ip=127.0.0.1',
    `--armeria.ports[0].port=${port}`,
    '--armeria.ports[0].protocols[0]=http',
  ];
  // Zipkin reads many variables (KAFKA_BOOTSTRAP_SERVERS, RABBIT_ADDRESSES...) as collectors to start: none of the shell's
  const passed = ['PATH', 'HOME', 'JAVA_HOME', 'LANG'].filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]);
  const env = { ...Object.fromEntries(passed), STORAGE_TYPE: 'mem', MEM_MAX_SPANS: String(ZIPKIN_MAX_SPANS) };
  const exit = spawnPart(part, 'java', args, env);
  return { part, exit, probe: `${part.url}/health` };
}

/** Waits until a started part answers its probe; fails at once, naming its log, if it exited. */
async function waitPart({ part, exit, probe }, quiet) {
  const label = part.name === 'prometheus' ? 'Prometheus' : 'Zipkin';
  let lastNote = 0;
  await waitFor(
    `${label} on port ${part.port}`,
    async () => {
      if (exit.reason !== null) throw Object.assign(new Error(`${label} ${exit.reason} at start; see ${part.log}`), { fatal: true });
      if (!(await isListening(part.port))) return false;
      return (await fetch(probe, { signal: AbortSignal.timeout(2000) })).ok;
    },
    {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 250,
      onTick: (ms) => {
        if (!quiet && ms - lastNote > 15_000) {
          lastNote = ms;
          log(`  waiting for ${label}... ${Math.round(ms / 1000)}s`);
        }
      },
    },
  );
  if (!quiet) log(`${label} ready on ${part.url}`);
}

/** The page of the alerts: /alerts, or /classic/alerts where the build has only the classic UI (Debian's 2.x). */
async function alertsPage(url) {
  const res = await fetch(`${url}/alerts`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  return res.status === 404 ? `${url}/classic/alerts` : `${url}/alerts`;
}

/**
 * Starts Zipkin in `infraDir`/zipkin on `ports.zipkin` (choosePorts), after stopping what an earlier run left in
 * `infraDir`, and returns at once: { zipkin (its description), zipkinReady (resolves once it answers; rejects if it
 * exits or is not ready within two minutes), startPrometheus() }. startPrometheus() starts Prometheus in
 * `infraDir`/prometheus on `ports.prometheus`, scraping `instances`, and resolves with its description once it
 * answers: call it once the apps are up, or they would count as down (ServiceDown) while they start. Both are
 * recorded in observe.json.
 */
async function start({ infraDir, instances, ports, quiet = false }) {
  await stop(infraDir);
  prometheusBinary();
  ensureZipkinJar();
  const zipkin = startZipkin({ dir: path.join(infraDir, 'zipkin'), port: ports.zipkin });
  const state = { zipkin: zipkin.part };
  const save = () => fs.writeFileSync(stateFile(infraDir), JSON.stringify(state, null, 2));
  save();
  const zipkinReady = waitPart(zipkin, quiet);
  zipkinReady.catch(() => {}); // awaited by the caller; not an unhandled rejection meanwhile
  return {
    zipkin: zipkin.part,
    zipkinReady,
    async startPrometheus() {
      // the apps took a while: the port chosen may have been taken since (the apps' and Zipkin's are, by now)
      const port = await portOr(ports.prometheus);
      const prometheus = startPrometheus({ dir: path.join(infraDir, 'prometheus'), port, instances });
      state.prometheus = prometheus.part;
      save();
      await waitPart(prometheus, quiet);
      prometheus.part.alerts = await alertsPage(prometheus.part.url);
      return prometheus.part;
    },
  };
}

/** Stops the Prometheus and Zipkin recorded in `infraDir` (whichever processes run them now); true if any was recorded. */
async function stop(infraDir) {
  const state = readState(infraDir);
  if (!state) return false;
  await Promise.all(
    [state.prometheus, state.zipkin].filter(Boolean).map(async (part) => {
      const pid = pidOf(part);
      if (pid) await stopProcess(pid, { signal: 'SIGTERM', graceMs: 15_000 });
    }),
  );
  fs.rmSync(stateFile(infraDir), { force: true });
  return true;
}

/** One line per recorded part: where it is and whether it runs (for `infra/cli.js status`); [] when none was started. */
function status(infraDir) {
  const state = readState(infraDir);
  if (!state) return [];
  return [state.prometheus, state.zipkin].filter(Boolean).map((part) => {
    const label = part.name === 'prometheus' ? 'Prometheus' : 'Zipkin';
    const pid = pidOf(part);
    return pid ? `${label} ${part.url} (pid ${pid})` : `${label} is not running (its log: ${part.log})`;
  });
}

module.exports = {
  readObserve,
  findOnPath,
  prometheusBinary,
  choosePorts,
  prometheusConfig,
  tracingEnv,
  traceUrl,
  ensureZipkinJar,
  start,
  stop,
  status,
  readState,
  ALERTS_FILE,
  SCRAPE_INTERVAL_SECONDS,
  ZIPKIN_VERSION,
};
