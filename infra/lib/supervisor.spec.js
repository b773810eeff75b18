'use strict';
// The launcher's restart decisions: when to restart a crashed app, how long to wait, when to give up.
const { afterExit, newRecord } = require('./supervisor');

const policy = { baseDelayMs: 1000, maxDelayMs: 30_000, stableMs: 60_000, maxStartCrashes: 3 };

/** Feeds a series of exits (each: how long the run was ready, or null) and collects the decisions. */
function run(readyForMs) {
  let record = newRecord();
  const decisions = [];
  for (const r of readyForMs) {
    const next = afterExit(record, r, policy);
    decisions.push(next.giveUp ? 'give up' : next.delayMs);
    record = next.record;
  }
  return { decisions, record };
}

describe('afterExit', () => {
  it('restarts an app that crashed after it was ready, waiting longer after each crash, up to the cap', () => {
    const { decisions, record } = run([5000, 100, 100, 100, 100, 100, 100, 100]);
    expect(decisions).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(record.restarts).toBe(8);
  });

  it('starts the backoff over once the app stayed ready long enough', () => {
    const { decisions } = run([100, 100, 100, 60_000, 100]);
    expect(decisions).toEqual([1000, 2000, 4000, 1000, 2000]);
  });

  it('gives up when an app that was never ready keeps crashing at start', () => {
    expect(run([null, null, null]).decisions).toEqual([1000, 2000, 'give up']);
  });

  it('does not give up on an app that was ready before, even if it now crashes at every start', () => {
    const { decisions } = run([1000, null, null, null, null, null, null]);
    expect(decisions).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
