'use strict';
// What Prometheus is given, checked with promtool (Debian's prometheus package ships it; .ci/run installs it):
// the alert rules (syntax, and their unit tests in alerts.test.yml, which must fail on a broken rule), compose's
// Prometheus configuration, and every query of the Grafana dashboard (parsed as recording rules, as promtool
// parses PromQL nowhere else). The launcher's integration test runs the same queries against a real Prometheus.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parse, stringify } = require('yaml');
const { findOnPath, ALERTS_FILE } = require('../lib/observe');
const { dashboardQueries } = require('../grafana/queries');

const DIR = __dirname;
const TESTS_FILE = path.join(DIR, 'alerts.test.yml');
const OPERATIONS_DOC = path.join(DIR, '..', '..', 'docs', 'operations.md');
const promtool = findOnPath('promtool');

/**
 * promtool, or null when it is not installed: then each check says loudly that it did not run. On CI (CI set) a
 * missing promtool fails instead, as .ci/run installs it.
 */
function tool() {
  if (promtool) return promtool;
  if (process.env.CI) throw new Error("promtool is not installed: .ci/run installs Debian's prometheus package, which ships it");
  console.warn(`NOT CHECKED: "${expect.getState().currentTestName}": promtool is not on PATH (apt-get install --no-install-recommends prometheus)`);
  return null;
}

function run(...args) {
  const r = spawnSync(tool(), args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const alerts = parse(fs.readFileSync(ALERTS_FILE, 'utf8')).groups.flatMap((g) => g.rules);
const tests = parse(fs.readFileSync(TESTS_FILE, 'utf8'));

describe('infra/prometheus/alerts.yml', () => {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-spec-'));
  afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

  it('passes promtool check rules', () => {
    if (!tool()) return;
    const { code, output } = run('check', 'rules', ALERTS_FILE);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`SUCCESS: ${alerts.length} rules found`) });
  });

  it('passes its unit tests (promtool test rules alerts.test.yml)', () => {
    if (!tool()) return;
    const { code, output } = run('test', 'rules', TESTS_FILE);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('has, for every alert, a severity, a summary and a unit test where it fires and one where it does not yet', () => {
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const rule of alerts) {
      expect({ alert: rule.alert, severity: rule.labels?.severity, summary: typeof rule.annotations?.summary }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
        summary: 'string',
      });
      const own = cases.filter((c) => c.alertname === rule.alert);
      expect({ alert: rule.alert, fires: own.some((c) => c.exp_alerts?.length), quiet: own.some((c) => !c.exp_alerts?.length) }).toEqual({
        alert: rule.alert,
        fires: true,
        quiet: true,
      });
    }
  });

  it('fails its unit tests when a rule is broken (a threshold changed)', () => {
    if (!tool()) return;
    const broken = fs
      .readFileSync(ALERTS_FILE, 'utf8')
      .replace('max by (service) (outbox_oldest_pending_age_seconds) > 60', 'max by (service) (outbox_oldest_pending_age_seconds) > 600');
    expect(broken).not.toBe(fs.readFileSync(ALERTS_FILE, 'utf8'));
    fs.writeFileSync(path.join(temp, 'alerts.yml'), broken);
    fs.copyFileSync(TESTS_FILE, path.join(temp, 'alerts.test.yml'));
    const { code, output } = run('test', 'rules', path.join(temp, 'alerts.test.yml'));
    expect(code).not.toBe(0);
    expect(output).toContain('alertname: OutboxBacklogOld');
  });

  it('is explained, alert by alert, in docs/operations.md (Watching it run)', () => {
    const doc = fs.readFileSync(OPERATIONS_DOC, 'utf8');
    const start = doc.indexOf('\n## Watching it run');
    expect(start).toBeGreaterThan(0);
    const end = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, end < 0 ? undefined : end);
    expect(alerts.map((r) => r.alert).filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });
});

describe("compose's Prometheus configuration (infra/prometheus/prometheus-compose.yml)", () => {
  it('passes promtool check config, with the rules where compose mounts them', () => {
    if (!tool()) return;
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-prometheus-'));
    try {
      const config = parse(fs.readFileSync(path.join(DIR, 'prometheus-compose.yml'), 'utf8'));
      expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
      config.rule_files = [ALERTS_FILE];
      fs.writeFileSync(path.join(temp, 'prometheus.yml'), stringify(config));
      const { code, output } = run('check', 'config', path.join(temp, 'prometheus.yml'));
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  });
});

describe('the Grafana dashboard (infra/grafana/dashboards/orders-system.json)', () => {
  it('has queries that Prometheus parses, every one of them', () => {
    if (!tool()) return;
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-queries-'));
    try {
      const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr }));
      fs.writeFileSync(path.join(temp, 'queries.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { code, output } = run('check', 'rules', path.join(temp, 'queries.yml'));
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`SUCCESS: ${queries.length} rules found`) });
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  });
});
