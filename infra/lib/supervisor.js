'use strict';
// Keeps the apps of `npm start` running: an app that exits on its own is started again after a
// growing delay, so that one crash is not an outage of everything. The launcher gives up only when an
// app keeps crashing before it was ever ready (a bad build or setting that no restart can fix).
const { sleep, log, tail } = require('./proc');

const POLICY = {
  baseDelayMs: 1000, // first restart
  maxDelayMs: 30_000, // a crash loop costs little while waiting for a cause outside the app
  stableMs: 60_000, // ready that long: the next crash starts the backoff over
  maxStartCrashes: 3, // exits in a row before the app was ever ready
  readyTimeoutMs: 60_000, // a restarted app not ready by then is reported (and still waited for)
};

/**
 * What to do after an app exited (pure). `record` is the app's history so far
 * ({ restarts, step, startCrashes, everReady }; `newRecord()` at first); `readyForMs` is how long the
 * run that ended had been ready (null: it never was). Returns the next record and either
 * `{ delayMs }` (restart after that long) or `{ giveUp: true }`.
 */
function afterExit(record, readyForMs, policy = POLICY) {
  const wasReady = readyForMs !== null && readyForMs !== undefined;
  const everReady = record.everReady || wasReady;
  const startCrashes = wasReady ? 0 : record.startCrashes + 1;
  if (!everReady && startCrashes >= policy.maxStartCrashes) {
    return { record: { ...record, startCrashes }, giveUp: true };
  }
  const step = wasReady && readyForMs >= policy.stableMs ? 0 : record.step;
  const delayMs = Math.min(policy.baseDelayMs * 2 ** step, policy.maxDelayMs);
  return { record: { restarts: record.restarts + 1, step: step + 1, startCrashes, everReady }, delayMs };
}

function newRecord() {
  return { restarts: 0, step: 0, startCrashes: 0, everReady: false };
}

function describeExit(code, signal) {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/**
 * Runs one app under supervision. `start()` spawns it and returns the child process; `isReady()`
 * answers whether the running app is ready; `stopChild(child)` stops it; `onGiveUp(message)` is called
 * when it keeps crashing at start. Returns { firstReady (a promise), pid(), stop() }.
 */
function supervise(app, { start, isReady, stopChild, logFile, onGiveUp, policy = POLICY }) {
  let record = newRecord();
  let child = null;
  let readyAt = null;
  let timer = null;
  let stopped = false;
  let markFirstReady;
  const firstReady = new Promise((resolve) => (markFirstReady = resolve));

  const running = (c) => !stopped && c === child && c.exitCode === null && c.signalCode === null;

  const watchReady = async (c) => {
    const since = Date.now();
    let reported = false;
    while (running(c)) {
      if (await isReady().catch(() => false)) {
        if (!running(c)) return;
        readyAt = Date.now();
        if (record.restarts > 0) log(`${app.name} is ready again (restart #${record.restarts})`);
        markFirstReady();
        return;
      }
      if (!reported && record.restarts > 0 && Date.now() - since > policy.readyTimeoutMs) {
        reported = true;
        log(`${app.name} is still not ready ${Math.round(policy.readyTimeoutMs / 1000)}s after its restart; see ${logFile}`);
      }
      await sleep(300);
    }
  };

  const onExit = (c, code, signal) => {
    if (stopped || c !== child) return;
    const next = afterExit(record, readyAt === null ? null : Date.now() - readyAt, policy);
    record = next.record;
    const how = describeExit(code, signal);
    if (next.giveUp) {
      const last = tail(logFile);
      onGiveUp(
        `${app.name} keeps crashing at start: it exited with ${how} before it was ever ready, ${record.startCrashes} times in a row. ` +
          `Its log is ${logFile}${last ? `; it ends with:\n${last}` : ''}`,
      );
      return;
    }
    log(`${app.name} exited with ${how}; restarting in ${next.delayMs / 1000}s (restart #${record.restarts}); see ${logFile}`);
    timer = setTimeout(launch, next.delayMs);
  };

  function launch() {
    timer = null;
    readyAt = null;
    let c;
    try {
      c = start();
    } catch (err) {
      // the app could not even be spawned (its bundle is gone): counts as a crash at start
      child = { exitCode: 1, signalCode: null };
      log(`${app.name} could not be started: ${err.message}`);
      onExit(child, 1, null);
      return;
    }
    child = c;
    let ended = false;
    const end = (code, signal) => {
      if (ended) return;
      ended = true;
      onExit(c, code, signal);
    };
    c.once('exit', end);
    c.once('error', (err) => {
      log(`${app.name}: ${err.message}`);
      end(1, null);
    });
    watchReady(c);
  }

  launch();
  return {
    firstReady,
    pid: () => (child && child.pid) || null,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (child && child.pid) await stopChild(child);
    },
  };
}

module.exports = { supervise, afterExit, newRecord, POLICY };
