'use strict';
// The Grafana dashboard and its provisioning, read as Grafana reads them: valid JSON, a Prometheus data source chosen
// through a variable, panels on a 24-column grid that do not overlap, and a panel for every metric the services
// define. Its queries are parsed by promtool in infra/prometheus/rules.spec.js and run against a real Prometheus in
// apps/orders/test/launcher.int-spec.ts.
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');
const { DASHBOARD_FILE, panelsOf } = require('./queries');

const ROOT = path.resolve(__dirname, '..', '..');

/** The metric names the services register with prom-client, read from their sources (no build needed). */
function serviceMetrics() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(full);
    }
  };
  for (const top of ['apps', 'libs']) for (const pkg of fs.readdirSync(path.join(ROOT, top))) walk(path.join(ROOT, top, pkg, 'src'));
  const names = new Set();
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    if (!source.includes("from 'prom-client'")) continue;
    for (const m of source.matchAll(/\bname: '([a-z_]+)'|\bgauge\('([a-z_]+)'/g)) names.add(m[1] ?? m[2]);
  }
  return [...names].sort();
}

describe('infra/grafana/dashboards/orders-system.json', () => {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8'));
  const panels = panelsOf(dashboard);
  const shown = panels.filter((p) => p.type !== 'row');

  it('is a dashboard Grafana 10 or later imports: uid, title, schema version, time range', () => {
    expect(dashboard).toMatchObject({ uid: 'orders-system', title: 'Orders system', time: { from: expect.any(String), to: 'now' } });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.id).toBeUndefined(); // an id would tie it to one Grafana's database
  });

  it('takes its Prometheus from a data source variable, on every panel and query', () => {
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const ds = { type: 'prometheus', uid: '${datasource}' };
    for (const panel of shown) {
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({ panel: panel.title, datasource: ds });
      for (const target of panel.targets) expect({ panel: panel.title, datasource: target.datasource }).toEqual({ panel: panel.title, datasource: ds });
    }
    const service = variables.find((v) => v.name === 'service');
    expect(service).toMatchObject({ type: 'query', datasource: ds, includeAll: true, multi: true, allValue: 'orders|inventory|shipping' });
  });

  it('gives every panel a unique id and a place on the 24-column grid that no other panel takes', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map();
    const overlaps = new Set();
    for (const { title, gridPos: g } of panels) {
      expect({ title, fits: g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.y >= 0 && g.h > 0 }).toEqual({ title, fits: true });
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          if (cells.has(`${x},${y}`)) overlaps.add(`${title} over ${cells.get(`${x},${y}`)}`);
          cells.set(`${x},${y}`, title);
        }
      }
    }
    expect([...overlaps]).toEqual([]);
  });

  it('has a title, a description and queries with their own refIds on every panel', () => {
    for (const panel of shown) {
      expect({ title: panel.title, description: typeof panel.description, targets: panel.targets.length > 0 }).toEqual({
        title: panel.title,
        description: 'string',
        targets: true,
      });
      const refIds = panel.targets.map((t) => t.refId);
      expect({ title: panel.title, unique: new Set(refIds).size === refIds.length }).toEqual({ title: panel.title, unique: true });
      for (const t of panel.targets)
        expect({ title: panel.title, expr: typeof t.expr === 'string' && t.expr.trim() !== '' }).toEqual({ title: panel.title, expr: true });
    }
  });

  it('shows every metric the services define', () => {
    const metrics = serviceMetrics();
    expect(metrics).toEqual(expect.arrayContaining(['orders_final_total', 'order_placed_to_final_seconds', 'consumer_lag_events', 'outbox_pending_events']));
    const exprs = shown.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(metrics.filter((name) => !new RegExp(`\\b${name}(_bucket|_count|_sum)?\\b`).test(exprs))).toEqual([]);
  });
});

describe('infra/grafana/provisioning', () => {
  it('provisions a default Prometheus data source and the dashboards folder', () => {
    const datasources = parse(fs.readFileSync(path.join(__dirname, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'));
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([expect.objectContaining({ name: 'Prometheus', type: 'prometheus', access: 'proxy', isDefault: true })]);
    const dashboards = parse(fs.readFileSync(path.join(__dirname, 'provisioning', 'dashboards', 'orders-system.yml'), 'utf8'));
    expect(dashboards.apiVersion).toBe(1);
    expect(dashboards.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: expect.stringMatching(/^\//) }) })]);
  });
});
