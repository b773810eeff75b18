import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/**
 * Keeps docker-compose.yml (and docker-compose.cluster.yml, laid over it) and .env.example in step with the
 * code: the services and their wiring, and every environment variable compose sets or .env.example documents
 * against the config classes (libs/platform/src/config/base.config.ts and apps/<app>/src/config.ts). The
 * variable names are read from the sources, so that this test needs no build and loads none of the apps.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const CLUSTER_FILE = path.join(ROOT, 'docker-compose.cluster.yml');
const BASE_CONFIG_FILE = path.join(ROOT, 'libs', 'platform', 'src', 'config', 'base.config.ts');
const TRACING_CONFIG_FILE = path.join(ROOT, 'libs', 'platform', 'src', 'config', 'tracing.config.ts');
const ENV_EXAMPLE_FILE = path.join(ROOT, '.env.example');

const APPS = ['orders', 'inventory', 'shipping'] as const;
type AppName = (typeof APPS)[number];

const APP_CONFIG: Record<AppName, { file: string; className: string; port: number; required: string[] }> = {
  orders: { file: 'apps/orders/src/config.ts', className: 'OrdersConfig', port: 3000, required: ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT'] },
  inventory: {
    file: 'apps/inventory/src/config.ts',
    className: 'InventoryConfig',
    port: 3001,
    required: ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT', 'ADMIN_TOKEN'],
  },
  shipping: { file: 'apps/shipping/src/config.ts', className: 'ShippingConfig', port: 3002, required: ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT'] },
};

/** Variables of the local launcher (npm start / infra/cli.js), not of a config class. */
const LAUNCHER_VARIABLES = ['DATABASE_URL', 'KAFKA_PORT', 'PG_PORT', 'INFRA_DIR', 'KAFKA_JVM_OPTS', 'APP_NODE_ARGS', 'KAFKA_NODES', 'APP_REPLICAS'];

type Env = Record<string, string>;
interface ComposeService {
  image?: string;
  profiles?: string[];
  command?: string | string[];
  build?: string | { context?: string; args?: Record<string, unknown> | string[] };
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  volumes?: Array<string | { source?: string; target?: string }>;
  [key: string]: unknown;
}
interface ComposeFile {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * Names of the properties declared in `className` in a TypeScript source: lines at two-space
 * indentation inside the class body such as `  NAME: type`, `  NAME = value;`,
 * `  override PORT = 3000;` (decorators stand on lines of their own).
 */
function declaredSettings(file: string, className: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  const start = source.search(new RegExp(`export\\s+(?:abstract\\s+)?class\\s+${className}\\b`));
  if (start < 0) throw new Error(`${path.relative(ROOT, file)} does not export class ${className}`);
  const open = source.indexOf('{', start);
  let depth = 0;
  let end = source.length;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) {
      end = i;
      break;
    }
  }
  const body = source.slice(open + 1, end);
  const names = new Set<string>();
  const property = /^ {2}(?:(?:public|readonly|override|declare)\s+)*([A-Z][A-Z0-9_]*)\s*[!?]?\s*[:=]/gm;
  for (const match of body.matchAll(property)) names.add(match[1]);
  return [...names];
}

function baseSettings(): string[] {
  return declaredSettings(BASE_CONFIG_FILE, 'BaseConfig');
}

/** The OTEL_ variables every service reads before it starts (TracingConfig). */
function tracingSettings(): string[] {
  return declaredSettings(TRACING_CONFIG_FILE, 'TracingConfig');
}

function appSettings(app: AppName): string[] {
  const { file, className } = APP_CONFIG[app];
  const full = path.join(ROOT, file);
  if (!fs.existsSync(full)) throw new Error(`${file} (exporting ${className}) is missing`);
  return declaredSettings(full, className);
}

/** A compose file as compose reads it: YAML 1.1 merge keys (`<<: *anchor`) resolved. */
function readCompose(file = COMPOSE_FILE): ComposeFile {
  return parse(fs.readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

/** A volume entry's path in the container (short `source:target[:mode]` or long syntax). */
function volumeTarget(entry: string | { target?: string }): string {
  return typeof entry === 'string' ? (entry.split(':')[1] ?? entry) : (entry.target ?? '');
}

/** A volume entry's named volume (or host path). */
function volumeSource(entry: string | { source?: string }): string {
  return typeof entry === 'string' ? entry.split(':')[0] : (entry.source ?? '');
}

/**
 * `docker compose -f base -f override`, for the keys these files use, by compose's merge rules: services and
 * mappings merge key by key (environment and depends_on whichever form they are written in), volumes by their
 * path in the container, anything else the override replaces.
 */
function mergeCompose(base: ComposeFile, override: ComposeFile): ComposeFile {
  const services: Record<string, ComposeService> = { ...base.services };
  for (const [name, over] of Object.entries(override.services ?? {})) {
    const merged: ComposeService = { ...services[name], ...over };
    const under = services[name];
    if (under) {
      if (under.environment || over.environment) merged.environment = { ...environmentOf(under), ...environmentOf(over) };
      if (under.depends_on || over.depends_on) {
        const deps = (svc: ComposeService) =>
          Array.isArray(svc.depends_on) ? Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_started' }])) : (svc.depends_on ?? {});
        merged.depends_on = { ...deps(under), ...deps(over) };
      }
      if (under.volumes || over.volumes) {
        const kept = (under.volumes ?? []).filter((v) => !(over.volumes ?? []).some((o) => volumeTarget(o) === volumeTarget(v)));
        merged.volumes = [...kept, ...(over.volumes ?? [])];
      }
      if (under.healthcheck && over.healthcheck) merged.healthcheck = { ...under.healthcheck, ...over.healthcheck };
    }
    services[name] = merged;
  }
  return { ...base, services, volumes: { ...base.volumes, ...override.volumes } };
}

function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services?.[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** A service's environment as written in the file (map or KEY=VALUE list form). */
function environmentOf(svc: ComposeService): Env {
  const env: Env = {};
  if (Array.isArray(svc.environment)) {
    for (const entry of svc.environment) {
      const eq = entry.indexOf('=');
      if (eq < 0) env[entry] = '';
      else env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(svc.environment ?? {})) env[key] = value === null || value === undefined ? '' : String(value);
  }
  return env;
}

/** Resolves compose interpolation the way it does when the variables are not set: ${X:-default}, ${X-default}, ${X}. */
function withDefaults(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_all, _name: string, fallback?: string) => fallback ?? '');
}

function dependenciesOf(svc: ComposeService): Record<string, string | undefined> {
  if (Array.isArray(svc.depends_on)) return Object.fromEntries(svc.depends_on.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(svc.depends_on ?? {}).map(([name, spec]) => [name, spec?.condition]));
}

function publishedPorts(svc: ComposeService): number[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'object') return Number(p.published);
    const parts = String(p).split(':');
    return Number(parts.length > 1 ? parts[parts.length - 2] : parts[0]);
  });
}

function buildArgsOf(svc: ComposeService): Env {
  if (typeof svc.build !== 'object' || !svc.build.args) return {};
  return environmentOf({ environment: svc.build.args });
}

/** `docker compose` or `docker-compose`, whichever can run here; null when neither can. */
function composeClient(): string[] | null {
  const candidates = [['docker', 'compose'], ['docker-compose']];
  for (const [command, ...args] of candidates) {
    const probe = spawnSync(command, [...args, 'version'], { encoding: 'utf8', timeout: 30_000 });
    if (!probe.error && probe.status === 0) return [command, ...args];
  }
  return null;
}

describe('docker-compose.yml', () => {
  const compose = readCompose();

  it('defines kafka, postgres, orders, inventory and shipping', () => {
    expect(Object.keys(compose.services ?? {})).toEqual(expect.arrayContaining(['kafka', 'postgres', ...APPS]));
  });

  it('runs Kafka from apache/kafka:3.9.1, advertised to the apps as kafka:9092, without topic auto-creation', () => {
    const kafka = service(compose, 'kafka');
    expect(kafka.image).toBe('apache/kafka:3.9.1');
    const env = environmentOf(kafka);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('kafka:9092');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(JSON.stringify(kafka.healthcheck?.test)).toContain('kafka-broker-api-versions.sh');
  });

  it('runs PostgreSQL 16 with an init script that creates one database per app', () => {
    const postgres = service(compose, 'postgres');
    expect(postgres.image).toMatch(/^postgres:16/);
    expect(JSON.stringify(postgres.healthcheck?.test)).toContain('pg_isready');
    const initSql = fs.readFileSync(path.join(ROOT, 'infra', 'postgres', 'init.sql'), 'utf8');
    for (const app of APPS) expect(initSql).toMatch(new RegExp(`CREATE DATABASE\\s+"?${app}"?\\s*;`, 'i'));
  });

  describe.each(APPS)('service %s', (app) => {
    const svc = service(compose, app);
    const env = environmentOf(svc);

    it('is built from the Dockerfile for this app', () => {
      expect(svc.build).toBeDefined();
      expect(buildArgsOf(svc).APP ?? env.APP).toBe(app);
    });

    it('has a healthcheck calling /health/ready', () => {
      expect(JSON.stringify(svc.healthcheck?.test ?? '')).toContain('/health/ready');
    });

    it('waits for healthy kafka and postgres', () => {
      const deps = dependenciesOf(svc);
      expect(deps).toHaveProperty('kafka');
      expect(deps).toHaveProperty('postgres');
      expect(deps.kafka).toBe('service_healthy');
      expect(deps.postgres).toBe('service_healthy');
    });

    it('sets every variable the app requires, with values its config accepts', () => {
      const { required, port } = APP_CONFIG[app];
      for (const name of required) {
        expect({ name, set: (env[name] ?? '') !== '' }).toEqual({ name, set: true });
      }
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, withDefaults(v)]));
      expect(Number(resolved.PORT)).toBe(port);
      expect(publishedPorts(svc)).toContain(port);
      expect(resolved.DATABASE_URL).toMatch(new RegExp(`^postgres(ql)?://[^\\s/]+@postgres(:5432)?/${app}$`));
      expect(resolved.KAFKA_BROKERS).toBe('kafka:9092');
      if (app === 'inventory') expect(resolved.ADMIN_TOKEN.length).toBeGreaterThanOrEqual(16);
    });

    it("sets only variables that are settings of the app's config class", () => {
      const known = new Set([...baseSettings(), ...tracingSettings(), ...appSettings(app)]);
      const unknown = Object.keys(env).filter((name) => !known.has(name));
      expect(unknown).toEqual([]);
    });
  });

  it('is accepted by `docker compose config` when a compose client is installed', () => {
    const client = composeClient();
    if (client === null) {
      // no compose client on this machine: the checks above still ran
      expect(client).toBeNull();
      return;
    }
    const [command, ...args] = client;
    // throws, failing the test, when the client rejects the file
    execFileSync(command, [...args, '-f', COMPOSE_FILE, 'config', '-q'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
  });
});

describe('docker-compose.yml, profile observe: Prometheus, Grafana and Zipkin', () => {
  const compose = readCompose();
  const OBSERVE = ['prometheus', 'grafana', 'zipkin'];
  /** The file of the repository mounted at `target` in a service (short syntax `./path:target[:ro]`), or undefined. */
  const mountedAt = (svc: ComposeService, target: string) => {
    const entry = (svc.volumes ?? []).find((v) => volumeTarget(v) === target);
    return entry === undefined ? undefined : path.join(ROOT, volumeSource(entry));
  };
  const commandOf = (svc: ComposeService) => (Array.isArray(svc.command) ? svc.command : String(svc.command ?? '').split(/\s+/));
  const flag = (svc: ComposeService, name: string) =>
    commandOf(svc)
      .find((a) => a.startsWith(`${name}=`))
      ?.slice(name.length + 1);

  it('runs them only with the profile, and the services always', () => {
    for (const name of OBSERVE) expect({ name, profiles: service(compose, name).profiles }).toEqual({ name, profiles: ['observe'] });
    for (const name of ['kafka', 'postgres', ...APPS]) expect({ name, profiles: service(compose, name).profiles }).toEqual({ name, profiles: undefined });
  });

  it('publishes each port once', () => {
    const ports = Object.values(compose.services ?? {}).flatMap(publishedPorts);
    expect(ports.filter((p, i) => ports.indexOf(p) !== i)).toEqual([]);
  });

  it("Prometheus scrapes each service's port in a job named after it and loads the alert rules", () => {
    const prometheus = service(compose, 'prometheus');
    expect(prometheus.image).toMatch(/^prom\/prometheus:v[23]\.\d+\.\d+$/);
    expect(publishedPorts(prometheus)).toEqual([9090]);
    const configFile = mountedAt(prometheus, flag(prometheus, '--config.file') ?? '');
    expect(configFile).toBe(path.join(ROOT, 'infra', 'prometheus', 'prometheus-compose.yml'));
    const config = parse(fs.readFileSync(configFile!, 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((c) => c.targets)]));
    expect(jobs).toEqual(Object.fromEntries(APPS.map((app) => [app, [`${app}:${withDefaults(environmentOf(service(compose, app)).PORT)}`]])));
    expect(config.rule_files.map((f) => mountedAt(prometheus, f))).toEqual([path.join(ROOT, 'infra', 'prometheus', 'alerts.yml')]);
    expect(volumeSource((prometheus.volumes ?? []).find((v) => volumeTarget(v) === flag(prometheus, '--storage.tsdb.path'))!)).toBe('prometheus-data');
  });

  it('Grafana gets the Prometheus data source and the dashboard, provisioned', () => {
    const grafana = service(compose, 'grafana');
    expect(grafana.image).toMatch(/^grafana\/grafana(-oss)?:\d+\.\d+\.\d+$/);
    const provisioning = mountedAt(grafana, '/etc/grafana/provisioning');
    expect(provisioning).toBe(path.join(ROOT, 'infra', 'grafana', 'provisioning'));
    const datasources = parse(fs.readFileSync(path.join(provisioning!, 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: Array<{ type: string; url: string; isDefault?: boolean }>;
    };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
    const providers = parse(fs.readFileSync(path.join(provisioning!, 'dashboards', 'orders-system.yml'), 'utf8')) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(providers.providers).toHaveLength(1);
    const dashboards = mountedAt(grafana, providers.providers[0].options.path);
    expect(dashboards).toBe(path.join(ROOT, 'infra', 'grafana', 'dashboards'));
    expect(fs.readdirSync(dashboards!)).toContain('orders-system.json');
    // the home dashboard is the provisioned file
    const home = environmentOf(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(path.join(dashboards!, path.relative(providers.providers[0].options.path, home))).toBe(path.join(dashboards!, 'orders-system.json'));
    expect(dependenciesOf(grafana)).toHaveProperty('prometheus');
  });

  it('Zipkin receives the traces of every service when OTEL_TRACES_EXPORTER=zipkin is given, and tracing is off without it', () => {
    const zipkin = service(compose, 'zipkin');
    expect(zipkin.image).toMatch(/^openzipkin\/zipkin:\d+\.\d+\.\d+$/);
    expect(publishedPorts(zipkin)).toEqual([9411]);
    expect(environmentOf(zipkin).STORAGE_TYPE).toBe('mem');
    for (const app of APPS) {
      const env = environmentOf(service(compose, app));
      expect({ app, endpoint: env.OTEL_EXPORTER_ZIPKIN_ENDPOINT }).toEqual({ app, endpoint: 'http://zipkin:9411/api/v2/spans' });
      expect({ app, exporter: env.OTEL_TRACES_EXPORTER }).toEqual({ app, exporter: '${OTEL_TRACES_EXPORTER:-none}' });
    }
  });
});

describe('docker-compose.cluster.yml over docker-compose.yml: a 3-broker Kafka cluster', () => {
  const single = readCompose();
  const compose = mergeCompose(single, readCompose(CLUSTER_FILE));
  const NODES = ['kafka', 'kafka-2', 'kafka-3'];
  const nodeEnv = (name: string) => Object.fromEntries(Object.entries(environmentOf(service(compose, name))).map(([k, v]) => [k, withDefaults(v)]));
  /** `id@host:port` entries of a node's controller quorum, as {id, host, port}. */
  const voters = (name: string) =>
    nodeEnv(name)
      .KAFKA_CONTROLLER_QUORUM_VOTERS.split(',')
      .map((v) => {
        const [, id, host, port] = /^(\d+)@([^:]+):(\d+)$/.exec(v.trim()) ?? [];
        return { id: Number(id), host, port: Number(port) };
      });

  it('runs three apache/kafka:3.9.1 nodes, each a broker and a controller with a healthcheck, with unique node ids and one cluster id', () => {
    expect(Object.keys(compose.services ?? {}).filter((name) => /^kafka(-\d+)?$/.test(name))).toEqual(NODES);
    const ids = NODES.map((name) => Number(nodeEnv(name).KAFKA_NODE_ID));
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    const clusterIds = new Set(NODES.map((name) => nodeEnv(name).CLUSTER_ID));
    expect(clusterIds.size).toBe(1);
    // kafka-storage.sh format takes a base64url UUID: 16 bytes
    expect(Buffer.from([...clusterIds][0], 'base64url')).toHaveLength(16);
    for (const name of NODES) {
      const svc = service(compose, name);
      expect({ name, image: svc.image }).toEqual({ name, image: 'apache/kafka:3.9.1' });
      expect({ name, roles: nodeEnv(name).KAFKA_PROCESS_ROLES }).toEqual({ name, roles: 'broker,controller' });
      expect(JSON.stringify(svc.healthcheck?.test)).toContain('kafka-broker-api-versions.sh');
    }
  });

  it('gives every node the same quorum of the three, each voter by its own node id, host and controller port', () => {
    for (const name of NODES)
      expect({ name, voters: nodeEnv(name).KAFKA_CONTROLLER_QUORUM_VOTERS }).toEqual({ name, voters: nodeEnv('kafka').KAFKA_CONTROLLER_QUORUM_VOTERS });
    const quorum = voters('kafka');
    expect(quorum.map((v) => v.host)).toEqual(NODES);
    for (const { id, host, port } of quorum) {
      const env = nodeEnv(host);
      expect({ host, id: Number(env.KAFKA_NODE_ID) }).toEqual({ host, id });
      expect(env.KAFKA_LISTENERS).toContain(`CONTROLLER://:${port}`);
      expect(env.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
      // other nodes and the apps reach each broker by its service name
      expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${host}:9092`);
      expect(env.KAFKA_LISTENERS).toContain('PLAINTEXT://:9092');
    }
  });

  it('replicates every topic, the internal ones too, on the three nodes with min.insync.replicas 2, and creates none itself', () => {
    for (const name of NODES) {
      expect({ name, ...pick(nodeEnv(name)) }).toEqual({
        name,
        KAFKA_DEFAULT_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '3',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '2',
        KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'false',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      });
    }
  });

  it("keeps each node's data in a volume of its own, apart from the single broker's", () => {
    const dataOf = (svc: ComposeService) => (svc.volumes ?? []).filter((v) => volumeTarget(v) === nodeEnv('kafka').KAFKA_LOG_DIRS).map(volumeSource);
    const singleData = dataOf(service(single, 'kafka'));
    expect(singleData).toHaveLength(1);
    const clusterData = NODES.map((name) => dataOf(service(compose, name)));
    expect(clusterData.every((d) => d.length === 1)).toBe(true);
    expect(new Set(clusterData.flat()).size).toBe(3);
    expect(clusterData.flat()).not.toContain(singleData[0]);
    for (const volume of clusterData.flat()) expect(compose.volumes).toHaveProperty([volume]);
  });

  describe.each(APPS)('service %s', (app) => {
    const svc = service(compose, app);
    const env = Object.fromEntries(Object.entries(environmentOf(svc)).map(([k, v]) => [k, withDefaults(v)]));

    it('gets every broker of the cluster and replicated topics, and keeps the rest of its settings', () => {
      expect(env.KAFKA_BROKERS.split(',').sort()).toEqual(NODES.map((n) => `${n}:9092`).sort());
      expect(env.KAFKA_REPLICATION_FACTOR).toBe('3');
      expect(env.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
      const before = environmentOf(service(single, app));
      for (const name of Object.keys(before).filter((n) => !n.startsWith('KAFKA_')))
        expect({ name, value: environmentOf(svc)[name] }).toEqual({ name, value: before[name] });
    });

    it('waits for the three nodes and postgres to be healthy', () => {
      expect(dependenciesOf(svc)).toEqual(Object.fromEntries([...NODES, 'postgres'].map((n) => [n, 'service_healthy'])));
    });

    it("sets only variables that are settings of the app's config class", () => {
      const known = new Set([...baseSettings(), ...tracingSettings(), ...appSettings(app)]);
      expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    });
  });

  it('is accepted by `docker compose config` with docker-compose.yml when a compose client is installed', () => {
    const client = composeClient();
    if (client === null) {
      // no compose client on this machine: the checks above still ran
      expect(client).toBeNull();
      return;
    }
    const [command, ...args] = client;
    const out = execFileSync(command, [...args, '-f', COMPOSE_FILE, '-f', CLUSTER_FILE, 'config', '--format', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 60_000,
      env: { ...process.env, ADMIN_TOKEN: 'compose-config-check-token' },
    });
    // compose's own merge agrees with this test's on what matters
    const resolved = JSON.parse(out) as ComposeFile;
    for (const app of APPS)
      expect(
        String(environmentOf(service(resolved, app)).KAFKA_BROKERS)
          .split(',')
          .sort(),
      ).toEqual(NODES.map((n) => `${n}:9092`).sort());
    expect(environmentOf(service(resolved, 'kafka')).KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(nodeEnv('kafka').KAFKA_CONTROLLER_QUORUM_VOTERS);
  });
});

/** The replication settings of a node's environment. */
function pick(env: Env): Env {
  const names = [
    'KAFKA_DEFAULT_REPLICATION_FACTOR',
    'KAFKA_MIN_INSYNC_REPLICAS',
    'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
    'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
    'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    'KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE',
    'KAFKA_AUTO_CREATE_TOPICS_ENABLE',
  ];
  return Object.fromEntries(names.map((n) => [n, env[n]]));
}

describe('config sources', () => {
  it('are readable by this test (the property pattern finds the base settings)', () => {
    expect(baseSettings()).toEqual(expect.arrayContaining(['NODE_ENV', 'PORT', 'DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL']));
  });

  it.each(APPS)('declare the settings of %s', (app) => {
    expect(() => appSettings(app)).not.toThrow();
  });
});

describe('.env.example', () => {
  const text = fs.readFileSync(ENV_EXAMPLE_FILE, 'utf8');
  const mentions = (name: string) => new RegExp(`(^|[^A-Z0-9_])${name}([^A-Z0-9_]|$)`).test(text);

  it('documents every shared setting', () => {
    expect(baseSettings().filter((name) => !mentions(name))).toEqual([]);
  });

  it.each(APPS)('documents every setting of %s', (app) => {
    expect(appSettings(app).filter((name) => !mentions(name))).toEqual([]);
  });

  it("documents the launcher's variables", () => {
    expect(LAUNCHER_VARIABLES.filter((name) => !mentions(name))).toEqual([]);
  });
});
