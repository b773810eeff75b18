import * as fs from 'node:fs';

/** Kernel clock ticks per second in /proc (USER_HZ; 100 on Linux). */
const TICKS_PER_S = 100;

/** Per part of the system, a function reading the CPU milliseconds its processes have used so far. */
export type ProcessGroups = Record<string, () => number>;

/** utime, stime, cutime, cstime of a process (cutime/cstime: its children that exited and were reaped). */
function times(pid: number): number[] {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 15)
      .map(Number);
  } catch {
    return [0, 0, 0, 0]; // gone, or not Linux
  }
}

function parentOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

const toMs = (ticks: number) => (ticks * 1000) / TICKS_PER_S;

/** CPU milliseconds one process has used. */
export function processCpuMs(pid: number): number {
  const [utime, stime] = times(pid);
  return toMs(utime + stime);
}

/**
 * CPU milliseconds of a process and all its children, those running and those that exited: a
 * PostgreSQL postmaster with its backends, which come and go with client connections.
 */
export function processTreeCpuMs(pid: number): number {
  const [utime, stime, cutime, cstime] = times(pid);
  const live = fs.existsSync('/proc')
    ? fs
        .readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .filter((p) => parentOf(p) === pid)
    : [];
  return toMs(utime + stime + cutime + cstime) + live.reduce((sum, child) => sum + processCpuMs(child), 0);
}

/** CPU milliseconds used so far, per group. */
export function cpuReading(groups: ProcessGroups): Record<string, number> {
  return Object.fromEntries(Object.entries(groups).map(([name, read]) => [name, read()]));
}

/** CPU milliseconds per order, by group and in total, between two readings. */
export function cpuPerOrder(before: Record<string, number>, after: Record<string, number>, orders: number): Record<string, number> {
  const perOrder = Object.fromEntries(
    Object.keys(after).map((name) => [name, Math.round(((after[name] - (before[name] ?? 0)) / Math.max(1, orders)) * 10) / 10]),
  );
  perOrder.total = Math.round(Object.values(perOrder).reduce((a, b) => a + b, 0) * 10) / 10;
  return perOrder;
}
