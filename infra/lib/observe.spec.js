'use strict';
// The launcher's observe mode, apart from the servers it starts (apps/orders/test/launcher.int-spec.ts runs
// those): --observe and OBSERVE, the ports of Prometheus and Zipkin, the Prometheus configuration written for the
// app instances, the apps' tracing variables, and finding a binary on PATH.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parse } = require('yaml');
const { readObserve, choosePorts, prometheusConfig, tracingEnv, findOnPath, prometheusBinary, ALERTS_FILE } = require('./observe');
const { instancesOf, APPS } = require('./apps');

describe('readObserve', () => {
  it('is off by default, on with --observe whatever OBSERVE says', () => {
    expect(readObserve([], undefined)).toBe(false);
    expect(readObserve([], '')).toBe(false);
    expect(readObserve(['--observe'], undefined)).toBe(true);
    expect(readObserve(['--observe'], '0')).toBe(true);
  });

  it('reads OBSERVE as 1/true or 0/false', () => {
    expect(['1', 'true', 'TRUE', ' 1 '].map((v) => readObserve([], v))).toEqual([true, true, true, true]);
    expect(['0', 'false', 'False'].map((v) => readObserve([], v))).toEqual([false, false, false]);
  });

  it.each(['yes', '2', 'on', 'observe'])('refuses OBSERVE="%s", naming the values it takes', (raw) => {
    expect(() => readObserve([], raw)).toThrow(`OBSERVE must be 1 or true (start Prometheus and Zipkin too), or 0 or false, got "${raw}"`);
  });

  it.each([
    { args: ['--obsrve'], bad: '--obsrve' },
    { args: ['observe'], bad: 'observe' },
    { args: ['--observe', '--verbose'], bad: '--verbose' },
  ])('refuses the arguments $args with the usage', ({ args, bad }) => {
    expect(() => readObserve(args, undefined)).toThrow(`unknown argument "${bad}"\nusage: npm start [-- --observe]   (or OBSERVE=1 npm start)`);
  });
});

describe('choosePorts', () => {
  const instances = instancesOf(
    APPS.map((a) => ({ ...a })),
    2,
  ); // orders 3000 and 3100, inventory 3001 and 3101, shipping 3002 and 3102
  const servers = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** A port something listens on for the length of a test (keep: true), or one that was free a moment ago. */
  const port = ({ keep = false } = {}) =>
    new Promise((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address();
        if (keep) {
          servers.push(server);
          resolve(p);
        } else server.close(() => resolve(p));
      });
    });

  it("refuses a preferred port that is an app instance's, naming both settings", async () => {
    await expect(choosePorts(instances, { prometheus: 3100, zipkin: 9411 })).rejects.toThrow(
      'PROMETHEUS_PORT 3100 is the port of orders #2 (ORDERS_PORT + 100): set PROMETHEUS_PORT to another port',
    );
    await expect(choosePorts(instances, { prometheus: await port(), zipkin: 3002 })).rejects.toThrow(
      'ZIPKIN_PORT 3002 is the port of shipping (SHIPPING_PORT)',
    );
  });

  it('refuses one port for both', async () => {
    const free = await port();
    await expect(choosePorts(instances, { prometheus: free, zipkin: free })).rejects.toThrow(
      `ZIPKIN_PORT ${free} is the port of Prometheus (PROMETHEUS_PORT): set ZIPKIN_PORT to another port`,
    );
  });

  it('takes the preferred ports when free, another free port when taken', async () => {
    const taken = await port({ keep: true });
    const free = await port();
    const ports = await choosePorts(instances, { prometheus: free, zipkin: taken });
    expect(ports.prometheus).toBe(free);
    expect([taken, free, ...instances.map((i) => i.port)]).not.toContain(ports.zipkin);
  });
});

describe('prometheusConfig', () => {
  it('scrapes every instance in a job named after its app, and loads the alert rules of infra/prometheus', () => {
    const config = parse(
      prometheusConfig({
        instances: instancesOf(
          APPS.map((a) => ({ ...a })),
          2,
        ),
        intervalSeconds: 5,
      }),
    );
    expect(config.global).toEqual({ scrape_interval: '5s', scrape_timeout: '4s', evaluation_interval: '5s' });
    expect(config.rule_files).toEqual([ALERTS_FILE]);
    expect(fs.existsSync(ALERTS_FILE)).toBe(true);
    expect(config.scrape_configs).toEqual([
      { job_name: 'orders', static_configs: [{ targets: ['127.0.0.1:3000', '127.0.0.1:3100'] }] },
      { job_name: 'inventory', static_configs: [{ targets: ['127.0.0.1:3001', '127.0.0.1:3101'] }] },
      { job_name: 'shipping', static_configs: [{ targets: ['127.0.0.1:3002', '127.0.0.1:3102'] }] },
    ]);
  });

  it('quotes a rules path with spaces and quotes', () => {
    const file = '/home/a "b"/c: d/alerts.yml';
    expect(parse(prometheusConfig({ instances: [{ name: 'orders', port: 3000 }], alertsFile: file })).rule_files).toEqual([file]);
  });
});

describe('tracingEnv', () => {
  it("sends the apps' spans to Zipkin's v2 API with the standard OpenTelemetry variables", () => {
    expect(tracingEnv(9411)).toEqual({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://127.0.0.1:9411/api/v2/spans' });
    expect(tracingEnv(9411, 'inventory')).toEqual(tracingEnv(9411));
  });

  it("points orders' board at the page of each trace in that Zipkin's UI, in the form BOARD_TRACE_URL accepts", () => {
    const env = tracingEnv(19411, 'orders');
    expect(env).toEqual({ ...tracingEnv(19411), BOARD_TRACE_URL: 'http://127.0.0.1:19411/zipkin/traces/{traceId}' });
    // the check of apps/orders/src/config.ts: anything else would stop orders at start
    expect(env.BOARD_TRACE_URL).toMatch(/^(https?:\/\/\S*\{traceId\}\S*)?$/);
  });
});

describe('findOnPath and prometheusBinary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'observe-spec-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds an executable file on PATH, not a file that is not executable or a folder', () => {
    fs.writeFileSync(path.join(dir, 'prometheus'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'promtool'), '', { mode: 0o644 });
    fs.mkdirSync(path.join(dir, 'folder'));
    const env = { PATH: ['/nonexistent', dir].join(path.delimiter) };
    expect(findOnPath('prometheus', env)).toBe(path.join(dir, 'prometheus'));
    expect(findOnPath('promtool', env)).toBeNull();
    expect(findOnPath('folder', env)).toBeNull();
    expect(findOnPath('prometheus', {})).toBeNull();
  });

  it('says how to install Prometheus when it is not on PATH', () => {
    expect(() => prometheusBinary({ PATH: '/nonexistent' })).toThrow(
      /^Prometheus was not found on PATH: --observe \(OBSERVE=1\) runs it to scrape the apps\.\nInstall it \(Debian, Ubuntu: apt-get install --no-install-recommends prometheus;/,
    );
    expect(prometheusBinary({ PATH: dir })).toBe(path.join(dir, 'prometheus'));
  });
});
