/** Injects each planned fault into the running system and heals it, one after the other, on the schedule. */
import { PlannedFault } from './schedule';
import { ChaosSystem, Service } from './system';

export interface FaultRecord extends PlannedFault {
  /** What was hit in the end (the leader found for a partition: 'node 2'). */
  hit: string;
  startedAt: number;
  /** When the fault was over: the instance ready again, the broker back in the cluster (its replicas catch up after), the database writable. */
  healedAt: number;
  /** Set when the fault could not be injected or healed as planned. */
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inject(system: ChaosSystem, f: PlannedFault): Promise<string> {
  switch (f.kind) {
    case 'kill-app':
    case 'kill-relay': {
      await system.killInstance(f.target);
      await sleep(f.downMs);
      await system.startInstance(f.target);
      return f.target;
    }
    case 'kill-leader': {
      const [topic, partition] = f.target.split('/');
      const { nodeId, partition: p } = await system.leaderOf(topic, Number(partition));
      await system.killBroker(nodeId);
      await sleep(f.downMs);
      await system.startBroker(nodeId);
      return `node ${nodeId} (leader of ${topic}/${p})`;
    }
    case 'freeze-broker': {
      const nodeId = Number(f.target);
      system.signalBroker(nodeId, 'SIGSTOP');
      try {
        await sleep(f.downMs);
      } finally {
        system.signalBroker(nodeId, 'SIGCONT');
      }
      return `node ${nodeId}`;
    }
    case 'restart-postgres': {
      await system.stopPostgres();
      await sleep(f.downMs);
      await system.startPostgres();
      return 'PostgreSQL';
    }
    case 'read-only-db': {
      const service = f.target as Service;
      await system.setReadOnly(service, true);
      try {
        await sleep(f.downMs);
      } finally {
        await system.setReadOnly(service, false);
      }
      return `${service} database`;
    }
  }
}

const APP_FAULTS = new Set(['kill-app', 'kill-relay']);
const BROKER_FAULTS = new Set(['kill-leader', 'freeze-broker']);

/**
 * Runs the schedule from `t0` until it is done or `stopped()` says so. An app fault runs alongside the next
 * faults (an instance takes seconds to start, and replicas exist for exactly that), after the previous fault
 * on the same instance healed. An infrastructure fault holds the schedule until it healed, so at most one
 * broker or database is down at a time; a broker fault also waits, first, until every replica is back in sync
 * (two brokers out of three would be an outage of writes, not a fault the cluster is built to absorb). A
 * fault that fails is recorded with its error, and the system is brought back whole before the next.
 */
export async function runFaults(
  system: ChaosSystem,
  plan: PlannedFault[],
  t0: number,
  log: (message: string) => void,
  stopped: () => boolean,
): Promise<FaultRecord[]> {
  const done: FaultRecord[] = [];
  const pending = new Map<string, Promise<void>>(); // by target
  const carryOut = async (f: PlannedFault) => {
    const startedAt = Date.now();
    let hit = f.target;
    let error: string | undefined;
    try {
      hit = await inject(system, f);
    } catch (err) {
      error = (err as Error).message;
      await repair(system, f, log);
    }
    const record: FaultRecord = { ...f, hit, startedAt, healedAt: Date.now(), ...(error ? { error } : {}) };
    done.push(record);
    const at = ((startedAt - t0) / 1000).toFixed(0);
    log(
      `fault ${f.n}/${plan.length} at ${at}s: ${f.kind} ${hit}, down ${(f.downMs / 1000).toFixed(1)}s, over after ${((record.healedAt - startedAt) / 1000).toFixed(1)}s${error ? ` — ERROR: ${error}` : ''}`,
    );
  };
  for (const f of plan) {
    const wait = t0 + f.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    if (APP_FAULTS.has(f.kind)) {
      await pending.get(f.target);
      if (stopped()) break;
      const p = carryOut(f).finally(() => pending.delete(f.target));
      pending.set(f.target, p);
    } else {
      if (stopped()) break;
      const inSync = BROKER_FAULTS.has(f.kind)
        ? await system.waitInSync().then(
            () => null,
            (err: Error) => err.message,
          )
        : null;
      if (inSync) {
        // two brokers down at once is an outage of writes, not this fault: it is recorded as not carried out
        const now = Date.now();
        done.push({ ...f, hit: f.target, startedAt: now, healedAt: now, error: `skipped: ${inSync}` });
        log(`fault ${f.n}/${plan.length}: ${f.kind} skipped (${inSync})`);
        continue;
      }
      await carryOut(f);
    }
  }
  await Promise.all(pending.values());
  return done.sort((a, b) => a.n - b.n);
}

/** Brings back what a fault that failed half-way may have left down, and only that (other faults may be running). */
export async function repair(system: ChaosSystem, f: PlannedFault, log: (message: string) => void): Promise<void> {
  const attempt = (what: string, p: Promise<unknown>) => p.catch((err: Error) => log(`repair after fault ${f.n}: ${what}: ${err.message}`));
  switch (f.kind) {
    case 'kill-app':
    case 'kill-relay':
      if (!system.isRunning(f.target)) await attempt(`starting ${f.target}`, system.startInstance(f.target));
      return;
    case 'kill-leader':
    case 'freeze-broker':
      for (const id of system.nodeIds) {
        try {
          system.signalBroker(id, 'SIGCONT');
        } catch {
          await attempt(`starting Kafka node ${id}`, system.startBroker(id));
        }
      }
      return;
    case 'restart-postgres':
      if (!system.postgresRunning()) await attempt('starting PostgreSQL', system.startPostgres());
      return;
    case 'read-only-db':
      await attempt(`making ${f.target} writable`, system.setReadOnly(f.target as Service, false));
      return;
  }
}
