import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/**
 * Keeps docker-compose.yml and .env.example in step with the code: the services and their wiring,
 * and every environment variable compose sets or .env.example documents against the config classes
 * (libs/platform/src/config/base.config.ts and apps/<app>/src/config.ts). The variable names are
 * read from the sources, so that this test needs no build and loads none of the apps.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const BASE_CONFIG_FILE = path.join(ROOT, 'libs', 'platform', 'src', 'config', 'base.config.ts');
const ENV_EXAMPLE_FILE = path.join(ROOT, '.env.example');

const APPS = ['orders', 'inventory', 'shipping'] as const;
type AppName = (typeof APPS)[number];

const APP_CONFIG: Record<AppName, { file: string; className: string; port: number; required: string[] }> = {
  orders: { file: 'apps/orders/src/config.ts', className: 'OrdersConfig', port: 3000, required: ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT'] },
  inventory: { file: 'apps/inventory/src/config.ts', className: 'InventoryConfig', port: 3001, required: ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT', 'ADMIN_TOKEN'] },
  shipping: { file: 'apps/shipping/src/config.ts', className: 'ShippingConfig', port: 3002, required: ['DATABASE_URL', 'KAFKA_BROKERS', 'PORT'] },
};

/** Variables of the local launcher (npm start / infra/cli.js), not of a config class. */
const LAUNCHER_VARIABLES = ['DATABASE_URL', 'KAFKA_PORT', 'PG_PORT', 'INFRA_DIR', 'KAFKA_JVM_OPTS', 'APP_NODE_ARGS'];

type Env = Record<string, string>;
interface ComposeService {
  image?: string;
  build?: string | { context?: string; args?: Record<string, unknown> | string[] };
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: Array<string | number | { target?: number; published?: number | string }>;
}
interface ComposeFile {
  services?: Record<string, ComposeService>;
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

function appSettings(app: AppName): string[] {
  const { file, className } = APP_CONFIG[app];
  const full = path.join(ROOT, file);
  if (!fs.existsSync(full)) throw new Error(`${file} (exporting ${className}) is missing`);
  return declaredSettings(full, className);
}

function readCompose(): ComposeFile {
  return parse(fs.readFileSync(COMPOSE_FILE, 'utf8')) as ComposeFile;
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
      const known = new Set([...baseSettings(), ...appSettings(app)]);
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
