// The apps are webpack bundles with node_modules left outside: this is Node's own require there, so
// the module patched is the one kafkajs itself loads (webpack's would be a copy).
declare const __non_webpack_require__: NodeJS.Require | undefined;
const nodeRequire: NodeJS.Require = typeof __non_webpack_require__ === 'function' ? __non_webpack_require__ : require;

const FIXED = Symbol.for('event-driven-orders.kafkajsIdleLoopFixed');

interface RequestQueueLike {
  pending: unknown[];
}

/**
 * Stops kafkajs 2.2.4 from waking every millisecond on every broker connection.
 *
 * Its request queue re-schedules a check of its pending requests after every check, with a delay of
 * (throttled-until - now), which is negative when nothing is throttled: a 1 ms timer loop that runs
 * for as long as the connection is open, queue empty or not (tulios/kafkajs#1556, #1604, #1704; the
 * fix, PR #1667, was never released): an idle service kept waking up (see
 * docs/decisions/002-kafkajs-idle-loop-patch.md).
 * A check only ever sends pending requests, and a request that has to wait (throttled, or too many in
 * flight) is queued by push(), which schedules a check itself; so with nothing pending there is
 * nothing to schedule. With requests pending, the original scheduling runs unchanged.
 *
 * Returns false (and changes nothing) if this kafkajs has no such method, e.g. another version.
 */
export function fixKafkaJsIdleLoop(): boolean {
  let RequestQueue: { prototype: Record<string | symbol, unknown> };
  try {
    RequestQueue = nodeRequire('kafkajs/src/network/requestQueue');
  } catch {
    return false;
  }
  const proto = RequestQueue?.prototype;
  const original = proto?.scheduleCheckPendingRequests;
  if (typeof original !== 'function') return false;
  if (proto[FIXED]) return true;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueLike, ...args: unknown[]) {
    if (this.pending.length === 0) return;
    return original.apply(this, args);
  };
  proto[FIXED] = true;
  return true;
}
