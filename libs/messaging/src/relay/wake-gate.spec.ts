import { parseSnapshot } from './snapshot';
import { WakeGate } from './wake-gate';

describe('WakeGate (whether a claim can find rows it has not seen)', () => {
  afterEach(() => jest.useRealTimers());

  it('claims again after a wake that names no transaction, once', () => {
    const gate = new WakeGate();
    gate.claimed(parseSnapshot('110:110:'));
    gate.wake();
    expect(gate.wokenSinceClaim()).toBe(true);
    expect(gate.wokenSinceClaim()).toBe(false); // told once, spent
  });

  it('claims for a named commit when no claim has read a snapshot yet', () => {
    const gate = new WakeGate();
    gate.wake(105n);
    expect(gate.wokenSinceClaim()).toBe(true);
  });

  it("drops a wake for a commit the last claim's snapshot saw, and keeps one it did not", () => {
    const gate = new WakeGate();
    gate.claimed(parseSnapshot('100:110:104'));
    gate.wake(99n);
    gate.wake(105n);
    expect(gate.wokenSinceClaim()).toBe(false);
    gate.wake(104n); // in progress when the claim read its snapshot
    expect(gate.wokenSinceClaim()).toBe(true);
    gate.wake(110n); // from xmax on: after the snapshot
    expect(gate.wokenSinceClaim()).toBe(true);
  });

  it('checks a commit told of during a claim against the snapshot that claim read', () => {
    const gate = new WakeGate();
    gate.claimed(parseSnapshot('100:100:'));
    gate.claimStarted();
    gate.wake(105n); // told while the claim runs: not covered by the previous snapshot
    gate.claimed(parseSnapshot('110:110:'));
    expect(gate.wokenSinceClaim()).toBe(false); // the claim saw it: no empty claim after the publish

    gate.claimStarted();
    gate.wake(115n);
    gate.claimed(parseSnapshot('112:116:115'));
    expect(gate.wokenSinceClaim()).toBe(true); // it committed after the claim's snapshot
  });

  it('forgets at the start of a claim what was told before it (that claim looks anyway)', () => {
    const gate = new WakeGate();
    gate.wake();
    gate.wake(120n);
    gate.claimStarted();
    gate.claimed(parseSnapshot('100:100:'));
    expect(gate.wokenSinceClaim()).toBe(false);
  });

  it('drops no wake once the snapshot is forgotten, and claims again when told to', () => {
    const gate = new WakeGate();
    gate.claimed(parseSnapshot('110:110:'));
    gate.forgetSnapshot();
    gate.wake(105n);
    expect(gate.wokenSinceClaim()).toBe(true);
    gate.claimAgain();
    expect(gate.wokenSinceClaim()).toBe(true);
    expect(gate.wokenSinceClaim()).toBe(false);
  });

  it('counts more than 10,000 transactions told of as a wake that names none', () => {
    const gate = new WakeGate();
    gate.claimStarted();
    for (let xid = 1n; xid <= 10_001n; xid++) gate.wake(xid);
    gate.claimed(parseSnapshot('20000:20000:')); // saw every one of them
    expect(gate.wokenSinceClaim()).toBe(true);
  });

  it('sleeps until woken or the time is up, and forgets the wakes told so far', async () => {
    jest.useFakeTimers();
    const gate = new WakeGate();
    const timedOut = gate.sleep(1000);
    jest.advanceTimersByTime(1000);
    await expect(timedOut).resolves.toBe(false);

    gate.claimed(parseSnapshot('110:110:'));
    const woken = gate.sleep(1000);
    gate.wake(105n); // dropped: does not end the sleep
    jest.advanceTimersByTime(500);
    gate.wake(111n);
    await expect(woken).resolves.toBe(true);
    expect(gate.wokenSinceClaim()).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});
