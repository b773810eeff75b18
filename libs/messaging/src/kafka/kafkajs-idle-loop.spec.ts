import { fixKafkaJsIdleLoop } from './kafkajs-idle-loop';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue');

/** A request queue as kafkajs leaves it after a response: nothing throttled, `pending` as given. */
function queueWith(pending: unknown[]) {
  const queue = Object.create(RequestQueue.prototype);
  Object.assign(queue, { pending, throttledUntil: -1, throttleCheckTimeoutId: null, checkPendingRequests: () => {} });
  return queue;
}

describe('fixKafkaJsIdleLoop', () => {
  it('an empty request queue schedules no check (kafkajs 2.2.4 re-armed a 1 ms timer forever)', () => {
    expect(fixKafkaJsIdleLoop()).toBe(true);
    const queue = queueWith([]);
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('a queue with requests waiting still schedules its check, as before', () => {
    fixKafkaJsIdleLoop();
    const queue = queueWith([{}]);
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(queue.throttleCheckTimeoutId);
  });

  it('is applied once however often it is called', () => {
    fixKafkaJsIdleLoop();
    const patched = RequestQueue.prototype.scheduleCheckPendingRequests;
    expect(fixKafkaJsIdleLoop()).toBe(true);
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(patched);
  });
});
