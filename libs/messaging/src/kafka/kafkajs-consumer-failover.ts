// Node's own require, as in kafkajs-idle-loop.ts: the modules patched are the ones kafkajs itself loads.
declare const __non_webpack_require__: NodeJS.Require | undefined;
const nodeRequire: NodeJS.Require = typeof __non_webpack_require__ === 'function' ? __non_webpack_require__ : require;

/** The kafkajs this was written against and checked with (package.json pins it). */
export const GUARDED_KAFKAJS_VERSION = '2.2.4';

const GUARDED = Symbol.for('event-driven-orders.kafkajsConsumerFailover');
const FINDING = Symbol('findingCoordinator');

/**
 * Errors of a request to a group coordinator that failed or is not the group's (yet, or any more): another broker
 * may be now. Right after a failover the new one can answer NOT_COORDINATOR or GROUP_LOAD_IN_PROGRESS for a moment.
 */
const UNREACHABLE = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);
const NOT_THE_COORDINATOR = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS']);

/** Lookups after a failed request, the first at once, then after 100, 200, 400... ms: 6.3 s in all. */
const COORDINATOR_LOOKUPS = 7;
const FIRST_LOOKUP_WAIT_MS = 100;

export function isCoordinatorLost(err: unknown): boolean {
  const e = err as { name?: unknown; type?: unknown } | null;
  return UNREACHABLE.has(String(e?.name)) || NOT_THE_COORDINATOR.has(String(e?.type));
}

/** A kafkajs ConsumerGroup or OffsetManager: both keep the group's coordinator, a Broker. */
interface CoordinatorHolder {
  groupId: string;
  coordinator: object | null;
  cluster: { findGroupCoordinator(args: { groupId: string }): Promise<object>; refreshMetadata(): Promise<void> };
  offsetManager?: CoordinatorHolder | null;
  /** ConsumerGroup's own (kafkajs' logger, through the service's) */
  logger?: { warn(message: string, extra?: object): void };
  maxWaitTime?: number;
  [FINDING]?: Promise<object>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Method = (this: CoordinatorHolder, ...args: unknown[]) => Promise<unknown>;
type Prototype = Record<string | symbol, unknown>;

/**
 * The methods that send to the coordinator they keep (OffsetManager.getCoordinator reconnects to the same node id
 * only). Not leave(): a stop should not wait on a lookup; a member that could not leave expires after its session.
 */
const GROUP_METHODS = ['heartbeat'] as const;
const OFFSET_MANAGER_METHODS = ['commitOffsets', 'resolveOffsets', 'setDefaultOffset', 'seek'] as const;

/**
 * Lets a kafkajs 2.2.4 consumer ride out the loss of one broker of a cluster without crashing and rejoining its
 * group (see docs/decisions/023-kafkajs-consumer-failover.md).
 *
 * The group coordinator: kafkajs finds it when it joins, then keeps that Broker. Heartbeats go to it, and the
 * offset manager, finding it disconnected, looks up the same node id again, never the group's coordinator:
 * with that node dead (and gone from the metadata) every commit fails with "Broker N not found" and every
 * heartbeat with a connection error, until the runner's retries run out, the consumer crashes and a new member
 * joins (a rebalance), 40 s after the kill, although another broker took the group over within seconds. Here a
 * request of those methods that fails because the coordinator is unreachable, or says it is not (or not yet) the
 * coordinator, asks the cluster for the group's coordinator the way kafkajs does at a join (FindCoordinator, with
 * the metadata refreshed, and its retries while the dead node still leads) and is sent again, to it; again after
 * a short wait while the new coordinator is still taking the group over. It has loaded the group from
 * __consumer_offsets: the member keeps its id and generation. Any other error, or the last failure, is thrown as
 * before (a NOT_COORDINATOR then makes kafkajs rejoin).
 *
 * A partition leader: a fetch from a dead leader fails to connect until the cluster fences it (seconds) and its
 * partitions get new leaders. kafkajs refreshes the metadata but throws the error up to the runner, which stops
 * the fetches from every broker, backs off and counts one of its retries, which are never given back while the
 * consumer runs: one kill spent 6 of our 10. Here that broker's fetch returns nothing after a pause of the
 * fetch wait (as kafkajs does for a broker gone from the metadata), and the other brokers' fetches go on.
 *
 * Returns false (and changes nothing) under another kafkajs version.
 */
export function guardKafkaJsConsumerFailover(): boolean {
  let group: Prototype;
  let offsets: Prototype;
  try {
    if (nodeRequire('kafkajs/package.json').version !== GUARDED_KAFKAJS_VERSION) return false;
    group = nodeRequire('kafkajs/src/consumer/consumerGroup').prototype;
    offsets = nodeRequire('kafkajs/src/consumer/offsetManager').prototype;
  } catch {
    return false;
  }
  const all =
    [...GROUP_METHODS, 'recoverFromFetch'].every((m) => typeof group?.[m] === 'function') &&
    OFFSET_MANAGER_METHODS.every((m) => typeof offsets?.[m] === 'function');
  if (!all) return false;
  if (group[GUARDED]) return true;
  for (const name of GROUP_METHODS) group[name] = followingTheCoordinator(group[name] as Method);
  for (const name of OFFSET_MANAGER_METHODS) offsets[name] = followingTheCoordinator(offsets[name] as Method);
  group.recoverFromFetch = waitingForUnreachableLeaders(group.recoverFromFetch as Method);
  group[GUARDED] = true;
  return true;
}

function followingTheCoordinator(original: Method): Method {
  return async function (this: CoordinatorHolder, ...args: unknown[]) {
    for (let lookup = 0; ; lookup++) {
      try {
        return await original.apply(this, args);
      } catch (err) {
        if (!this.coordinator || !isCoordinatorLost(err) || lookup === COORDINATOR_LOOKUPS) throw err;
        if (lookup > 0) await sleep(FIRST_LOOKUP_WAIT_MS * 2 ** (lookup - 1));
        await findCoordinator(this, err as Error, lookup === 0);
      }
    }
  };
}

/** One lookup at a time (a group's partitions heartbeat concurrently); a group hands the result to its offset manager too. */
async function findCoordinator(holder: CoordinatorHolder, err: Error, log: boolean): Promise<void> {
  const first = log && !holder[FINDING];
  holder[FINDING] ??= holder.cluster.findGroupCoordinator({ groupId: holder.groupId }).finally(() => delete holder[FINDING]);
  const coordinator = await holder[FINDING];
  holder.coordinator = coordinator;
  if (holder.offsetManager) holder.offsetManager.coordinator = coordinator;
  if (first)
    holder.logger?.warn(`Group coordinator lost (${err.message}), found node ${(coordinator as { nodeId?: number }).nodeId}`, { groupId: holder.groupId });
}

function waitingForUnreachableLeaders(original: Method): Method {
  return async function (this: CoordinatorHolder, err: unknown, ...rest: unknown[]) {
    if ((err as Error | null)?.name !== 'KafkaJSConnectionError') return original.call(this, err, ...rest);
    this.logger?.warn(`Fetch failed (${(err as Error).message}), refreshing metadata and trying that broker again in ${this.maxWaitTime} ms`, {
      groupId: this.groupId,
    });
    await this.cluster.refreshMetadata();
    await sleep(this.maxWaitTime ?? 1000);
  };
}
