'use strict';
// Small process helpers shared by the launchers: liveness checks, waiting, stopping process groups.
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');

function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  return !isZombie(pid);
}

/** An exited process its parent has not reaped yet (Linux): gone, though signals still reach its pid. */
function isZombie(pid) {
  if (process.platform !== 'linux') return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
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
    const killDeadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
    if (isAlive(pid)) log(`process ${pid} is still there after SIGKILL`);
  }
}

/**
 * The running processes as { pid, ppid, argv }: from /proc on Linux (no tool needed), from `ps`
 * elsewhere, where arguments with spaces cannot be told apart (argv then holds whole words).
 */
function listProcesses() {
  if (process.platform === 'linux' && fs.existsSync('/proc/self/cmdline')) {
    const list = [];
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        // the command name in parentheses may hold spaces: the fields after it are fixed
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        list.push({ pid: Number(name), ppid, argv });
      } catch {
        /* it exited while we looked */
      }
    }
    return list;
  }
  const r = spawnSync('ps', ['-axww', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not list processes with ps: ${r.error ? r.error.message : r.stderr}`);
  return r.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words.length >= 3)
    .map(([pid, ppid, ...argv]) => ({ pid: Number(pid), ppid: Number(ppid), argv }));
}

/** The last `count` lines of a text file ('' when it cannot be read); reads only its end, as logs grow. */
function tail(file, count = 10) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 16384));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function log(message) {
  process.stderr.write(`[infra] ${message}\n`);
}

module.exports = { isAlive, waitFor, stopProcess, sleep, log, listProcesses, tail };
