import { FAULT_KINDS, parseSeed, planFaults, ScheduleOptions, seededRandom } from './schedule';

const options: ScheduleOptions = {
  seconds: 600,
  services: ['orders', 'inventory', 'shipping'],
  replicas: 2,
  topics: ['orders.events', 'inventory.events', 'shipping.events'],
  partitions: 3,
  nodes: 3,
  freezeMs: 8_000,
};

describe('chaos schedule', () => {
  it('is the same for the same seed, and another for another seed', () => {
    expect(planFaults(42, options)).toEqual(planFaults(42, options));
    expect(planFaults(43, options)).not.toEqual(planFaults(42, options));
  });

  it('plans enough faults of every kind for ten minutes, none in the quiet tail, none overlapping its pause', () => {
    const faults = planFaults(7, options);
    expect(faults.length).toBeGreaterThanOrEqual(45);
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    for (const [i, f] of faults.entries()) {
      expect(f.n).toBe(i + 1);
      expect(f.atMs).toBeLessThan(600_000 - 10_000);
      if (i > 0) expect(f.atMs).toBeGreaterThan(faults[i - 1].atMs + faults[i - 1].downMs);
    }
  });

  it('names targets that exist, and freezes a broker longer than the session timeouts', () => {
    for (const f of planFaults(99, options)) {
      if (f.kind === 'kill-app') expect(f.target).toMatch(/^(orders|inventory|shipping)#[12]$/);
      if (f.kind === 'kill-leader') expect(f.target).toMatch(/^(orders|inventory|shipping)\.events\/[012]$/);
      if (f.kind === 'freeze-broker') {
        expect(['1', '2', '3']).toContain(f.target);
        expect(f.downMs).toBeGreaterThanOrEqual(8_000);
      }
      if (f.kind === 'read-only-db') expect(options.services).toContain(f.target);
    }
  });

  it('never repeats an infrastructure fault back to back', () => {
    const faults = planFaults(5, options);
    for (let i = 1; i < faults.length; i++) if (faults[i].kind !== 'kill-app') expect(faults[i].kind).not.toBe(faults[i - 1].kind);
  });

  it('draws numbers in [0, 1) that depend on the seed only', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  it('takes a seed from a person, or refuses it naming CHAOS_SEED', () => {
    expect(parseSeed('123', () => 1)).toBe(123);
    expect(parseSeed(undefined, () => 9)).toBe(9);
    expect(() => parseSeed('-1', () => 1)).toThrow(/CHAOS_SEED must be a whole number/);
    expect(() => parseSeed('abc', () => 1)).toThrow(/CHAOS_SEED/);
  });
});
