import { Client } from 'pg';
import { LockClass } from '../outbox/outbox.sql';
import { LaneLeases } from './lane-leases';
import { newRelayStats } from './relay-stats';

/** A session whose advisory locks answer as told: `others` membership slots taken elsewhere, `taken` lanes locked elsewhere. */
function fakeSession(world: { others: number; taken: Set<number>; freeSlots?: boolean }) {
  const statements: string[] = [];
  const query = jest.fn(async (sql: string, params: [number, number]) => {
    statements.push(`${sql.replace(/\s+/g, ' ')} ${JSON.stringify(params)}`);
    if (sql.includes('LIMIT 1')) return { rows: world.freeSlots === false ? [] : [{ s: 0 }] };
    if (sql.includes('AS others')) return { rows: [{ others: world.others }] };
    if (sql.includes('pg_try_advisory_lock($1, $2)')) return { rows: [{ ok: !world.taken.has(params[1]) }] };
    return { rows: [] };
  });
  return { db: { query } as unknown as Client, statements };
}

describe('LaneLeases (which lanes this relay owns, and how many relays share the outbox)', () => {
  beforeEach(() => jest.spyOn(Math, 'random').mockReturnValue(0));
  afterEach(() => jest.restoreAllMocks());

  it('takes a membership slot, and refuses to run as the 65th relay', async () => {
    const leases = new LaneLeases(16, 2000, newRelayStats());
    await expect(leases.join(fakeSession({ others: 0, taken: new Set() }).db)).resolves.toBeUndefined();
    await expect(leases.join(fakeSession({ others: 0, taken: new Set(), freeSlots: false }).db)).rejects.toThrow('more than 64 relay instances on one outbox');
  });

  it('alone, owns every lane and says so', async () => {
    const stats = newRelayStats();
    const leases = new LaneLeases(4, 2000, stats);
    expect(leases.alone()).toBe(false); // not known yet
    const { db, statements } = fakeSession({ others: 0, taken: new Set() });
    await leases.rebalance(db);
    expect([...leases.owned]).toEqual([0, 1, 2, 3]);
    expect(stats).toMatchObject({ members: 1, ownedLanes: 4 });
    expect(leases.alone()).toBe(true);
    expect(statements).toHaveLength(5); // the count, then one try-lock per lane
    expect(statements[1]).toBe(`SELECT pg_try_advisory_lock($1, $2) AS ok ${JSON.stringify([LockClass.Lane, 0])}`);
  });

  it('gives back the lanes above its fair share when another relay joins, and takes only free lanes', async () => {
    const stats = newRelayStats();
    const leases = new LaneLeases(4, 2000, stats);
    await leases.rebalance(fakeSession({ others: 0, taken: new Set() }).db);

    const { db, statements } = fakeSession({ others: 1, taken: new Set([0, 1]) });
    await leases.rebalance(db);
    expect([...leases.owned]).toEqual([2, 3]);
    expect(stats).toMatchObject({ members: 2, ownedLanes: 2 });
    expect(leases.alone()).toBe(false);
    expect(statements.slice(1)).toEqual([0, 1].map((lane) => `SELECT pg_advisory_unlock($1, $2) ${JSON.stringify([LockClass.Lane, lane])}`));

    // the other relay stopped: its lanes are free again, and this one takes them
    await leases.rebalance(fakeSession({ others: 0, taken: new Set() }).db);
    expect([...leases.owned].sort()).toEqual([0, 1, 2, 3]);
  });

  it('stops at a fair share even when more lanes are free (ceil(lanes / relays))', async () => {
    const leases = new LaneLeases(16, 2000, newRelayStats());
    await leases.rebalance(fakeSession({ others: 2, taken: new Set() }).db);
    expect(leases.owned.size).toBe(6);
  });

  it('rebalances at once, then once per interval; after a lost session, at once and owning nothing', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const stats = newRelayStats();
    const leases = new LaneLeases(4, 2000, stats);
    expect(leases.rebalanceDue()).toBe(true);
    expect(leases.rebalanceDue()).toBe(false); // the answer started the interval
    now += 1999;
    expect(leases.rebalanceDue()).toBe(false);
    now += 1;
    expect(leases.rebalanceDue()).toBe(true);

    await leases.rebalance(fakeSession({ others: 0, taken: new Set() }).db);
    leases.reset();
    expect(leases.owned.size).toBe(0);
    expect(stats).toMatchObject({ members: null, ownedLanes: 0 });
    expect(leases.alone()).toBe(false);
    expect(leases.rebalanceDue()).toBe(true);
  });
});
