'use strict';
// Small process helpers shared by the launchers: liveness checks, waiting, stopping process groups.
const { setTimeout: sleep } = require('node:timers/promises');

function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 200, onTick } = {}) {
  const started = Date.now();
  let lastError;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      if (err && err.fatal) throw err; // waiting longer cannot help (the process exited)
      lastError = err;
    }
    if (onTick) onTick(Date.now() - started);
    await sleep(intervalMs);
  }
  const reason = lastError ? `: ${lastError.message}` : '';
  throw new Error(`${what} was not ready after ${Math.round(timeoutMs / 1000)}s${reason}`);
}

/** Sends `signal` to the process group led by `pid` (or the process alone), then waits for it to go. */
async function stopProcess(pid, { signal = 'SIGTERM', graceMs = 20_000 } = {}) {
  if (!isAlive(pid)) return;
  const send = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  send(signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    send('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

function log(message) {
  process.stderr.write(`[infra] ${message}\n`);
}

module.exports = { isAlive, waitFor, stopProcess, sleep, log };
