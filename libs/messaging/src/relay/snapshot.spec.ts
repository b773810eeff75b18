import { committedBefore, parseSnapshot, parseXid } from './snapshot';

describe('PostgreSQL snapshots (which commits a relay claim saw)', () => {
  it('parses xmin, xmax and the transactions in progress', () => {
    expect(parseSnapshot('740:745:740,743')).toEqual({ xmin: 740n, xmax: 745n, inProgress: new Set([740n, 743n]) });
    expect(parseSnapshot('750:750:')).toEqual({ xmin: 750n, xmax: 750n, inProgress: new Set() });
  });

  it('refuses text that is not a snapshot', () => {
    expect(() => parseSnapshot('740:745')).toThrow('not a PostgreSQL snapshot: "740:745"');
    expect(() => parseSnapshot('')).toThrow('not a PostgreSQL snapshot');
  });

  it('sees a commit below xmin, or below xmax and not in progress; not one in progress or from xmax on', () => {
    const snap = parseSnapshot('740:745:740,743');
    expect(committedBefore(739n, snap)).toBe(true);
    expect(committedBefore(741n, snap)).toBe(true);
    expect(committedBefore(744n, snap)).toBe(true);
    expect(committedBefore(740n, snap)).toBe(false);
    expect(committedBefore(743n, snap)).toBe(false);
    expect(committedBefore(745n, snap)).toBe(false);
    expect(committedBefore(9_000_000_000n, snap)).toBe(false);
  });

  it('reads transaction ids from NOTIFY payloads, and nothing from an empty (older trigger) payload', () => {
    expect(parseXid('4294967302')).toBe(4294967302n);
    expect(parseXid('')).toBeNull();
    expect(parseXid(undefined)).toBeNull();
    expect(parseXid('12; DROP')).toBeNull();
  });
});
