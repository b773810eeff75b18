'use strict';
// The PromQL queries of the Grafana dashboard, with Grafana's variables replaced by values Prometheus takes, so
// that tests can have Prometheus parse and run each one (infra/prometheus/rules.spec.js: promtool parses them;
// apps/orders/test/launcher.int-spec.ts: the launcher's Prometheus answers them).
const fs = require('node:fs');
const path = require('node:path');

const DASHBOARD_FILE = path.join(__dirname, 'dashboards', 'orders-system.json');

/** Every panel of a dashboard, those inside collapsed rows too. */
function panelsOf(dashboard) {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * Each query of the dashboard in `file` as { panel, refId, expr }: a multi-value variable becomes its "All" value,
 * $__rate_interval a minute, $__range an hour.
 */
function dashboardQueries(file = DASHBOARD_FILE) {
  const dashboard = JSON.parse(fs.readFileSync(file, 'utf8'));
  const values = { __rate_interval: '1m', __interval: '15s', __range: '1h' };
  for (const v of dashboard.templating?.list ?? []) if (v.type === 'query') values[v.name] = v.allValue;
  const substitute = (expr) =>
    expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, braced, plain) => {
      const value = values[braced ?? plain];
      if (value === undefined) throw new Error(`${path.basename(file)}: no value for ${all} in ${expr}`);
      return value;
    });
  return panelsOf(dashboard).flatMap((panel) => (panel.targets ?? []).map((t) => ({ panel: panel.title, refId: t.refId, expr: substitute(t.expr) })));
}

module.exports = { DASHBOARD_FILE, dashboardQueries, panelsOf };
