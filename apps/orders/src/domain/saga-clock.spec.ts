import { addStall, MAX_STALLS, overdueCutoff, Stall } from './saga-clock';

const MIN = 60_000;
const started = (at: number): Stall => ({ from: -Infinity, to: at });

describe('overdueCutoff: how old an order must be to be past the deadline, not counting stalls', () => {
  it('with no stall, an order placed a deadline ago is overdue', () => {
    expect(overdueCutoff(100 * MIN, 30 * MIN, [])).toBe(70 * MIN);
  });

  it('before the process has run for a whole deadline, nothing is overdue', () => {
    expect(overdueCutoff(100 * MIN, 30 * MIN, [started(80 * MIN)])).toBeNull();
    expect(overdueCutoff(110 * MIN, 30 * MIN, [started(80 * MIN)])).toBe(80 * MIN);
  });

  it('a stall inside the window moves the cutoff back by its length', () => {
    // up since 0; the broker unreachable from minute 60 to 80
    expect(overdueCutoff(100 * MIN, 30 * MIN, [started(0), { from: 60 * MIN, to: 80 * MIN }])).toBe(50 * MIN);
    // an order placed at minute 55 has run 5 minutes before the stall and 20 after it: not yet overdue
    expect(overdueCutoff(100 * MIN, 30 * MIN, [started(0), { from: 60 * MIN, to: 80 * MIN }])).toBeLessThan(55 * MIN);
  });

  it('a stall going on now counts up to now', () => {
    expect(overdueCutoff(100 * MIN, 30 * MIN, [started(0), { from: 90 * MIN, to: 120 * MIN }])).toBe(60 * MIN);
  });

  it('stalls older than the window do not matter, several inside it all count', () => {
    const stalls = [started(0), { from: 10 * MIN, to: 20 * MIN }, { from: 75 * MIN, to: 80 * MIN }, { from: 90 * MIN, to: 95 * MIN }];
    expect(overdueCutoff(100 * MIN, 30 * MIN, stalls)).toBe(60 * MIN);
  });

  it('the deadline does not run out across the start of the process', () => {
    // started at minute 90, broker down from 95 to 99: 6 minutes of running time so far
    expect(overdueCutoff(100 * MIN, 30 * MIN, [started(90 * MIN), { from: 95 * MIN, to: 99 * MIN }])).toBeNull();
  });
});

describe('keeping the stalls', () => {
  it('merges a stall that meets or overlaps the last one, and ignores an empty one', () => {
    const stalls: Stall[] = [];
    addStall(stalls, { from: 10, to: 20 });
    addStall(stalls, { from: 20, to: 30 });
    addStall(stalls, { from: 25, to: 28 });
    addStall(stalls, { from: 40, to: 40 });
    addStall(stalls, { from: 50, to: 60 });
    expect(stalls).toEqual([
      { from: 10, to: 30 },
      { from: 50, to: 60 },
    ]);
  });

  it('keeps the latest MAX_STALLS, dropping the oldest', () => {
    const stalls: Stall[] = [];
    for (let i = 0; i < MAX_STALLS + 5; i++) addStall(stalls, { from: i * 10, to: i * 10 + 1 });
    expect(stalls).toHaveLength(MAX_STALLS);
    expect(stalls[0]).toEqual({ from: 50, to: 51 });
  });
});
