import { runChaos } from '../chaos/run';

/**
 * The chaos suite, short: two minutes of orders against a 3-node cluster, two replicas of every service and a
 * relay-only instance, with seed 68's faults (every kind in the first six: a relay-only kill, the orders
 * database read-only, PostgreSQL restarted, a partition leader killed, a replica killed, a broker frozen past
 * the session timeouts). `npm run chaos` runs the long one.
 */
describe('chaos (seed 68, 120 s)', () => {
  it('loses, duplicates, leaves unfinished and reorders nothing, and conserves stock', async () => {
    const lines: string[] = [];
    const result = await runChaos({ seconds: 120, seed: 68, rate: 8, quiesceTimeoutMs: 240_000, log: (m) => lines.push(m) });
    const report = `${result.resultLine}\n${result.verdict.findings
      .slice(0, 10)
      .map((f) => `${f.kind}: ${f.orderId ?? f.sku} ${f.detail}`)
      .join('\n')}\n${lines.slice(-30).join('\n')}`;
    // the faults must really have happened: a run that injected nothing proves nothing
    const kinds = new Set(result.faults.filter((f) => !f.error).map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['freeze-broker', 'kill-app', 'kill-leader', 'kill-relay', 'read-only-db', 'restart-postgres']);
    expect(result.verdict.orders).toBeGreaterThan(500);
    expect({
      lost: result.verdict.lost,
      duplicated: result.verdict.duplicated,
      unfinished: result.verdict.unfinished,
      reordered: result.verdict.reordered,
      conserved: result.verdict.conserved,
      settled: result.settled,
      deadLetters: result.deadLetters,
      systemOutcomes: result.systemOutcomes,
      surprises: result.surprises,
      report: result.passed ? '' : report,
    }).toEqual({
      lost: 0,
      duplicated: 0,
      unfinished: 0,
      reordered: 0,
      conserved: true,
      settled: true,
      deadLetters: 0,
      systemOutcomes: [],
      surprises: [],
      report: '',
    });
  }, 900_000);
});
