/**
 * npm run config:docs: writes .env.example and docs/configuration.md from the config classes, the one
 * source of the settings' documentation (each property's `@Setting` text, its initialiser as the default,
 * its class-validator decorators as the allowed values), plus the launcher's own variables listed below.
 *
 *   npm run config:docs              rewrite both files
 *   npm run config:docs -- --check   exit 1, naming each file that is out of date; write nothing
 *
 * libs/platform/test/config-docs.spec.ts fails too when a file is out of date or a setting has no text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BaseConfig } from '../libs/platform/src/config/base.config';
import { TracingConfig } from '../libs/platform/src/config/tracing.config';
import { describeSettings, SettingInfo } from '../libs/platform/src/config/setting';
import { OrdersConfig } from '../apps/orders/src/config';
import { InventoryConfig } from '../apps/inventory/src/config';
import { ShippingConfig } from '../apps/shipping/src/config';

export const ROOT = path.resolve(__dirname, '..');

/** The services and their config classes, in the order they are documented. */
export const SERVICES: ReadonlyArray<{ name: string; configClass: new () => BaseConfig; source: string }> = [
  { name: 'orders', configClass: OrdersConfig, source: 'apps/orders/src/config.ts' },
  { name: 'inventory', configClass: InventoryConfig, source: 'apps/inventory/src/config.ts' },
  { name: 'shipping', configClass: ShippingConfig, source: 'apps/shipping/src/config.ts' },
];
export const SHARED = { configClass: BaseConfig, source: 'libs/platform/src/config/base.config.ts' };
/** The OTEL_ variables every service reads before it starts (tracing). */
export const TRACING = { configClass: TracingConfig, source: 'libs/platform/src/config/tracing.config.ts' };

/** A variable read by something other than a config class: the launcher (infra/) or docker-compose.yml. */
export interface ExternalSetting {
  name: string;
  /** What it does. Whitespace is collapsed, so a template literal may span lines. */
  doc: string;
  /** What applies when it is unset, in words or as a value (shown as "unset" when omitted). */
  default?: string;
  /** The value shown in .env.example when it is not the default. */
  example?: string;
  rules?: string[];
  secret?: boolean;
}

/**
 * The variables of the local launcher: npm start (infra/start.js), npm run infra:up / infra:down
 * (infra/cli.js) and infra/lib. libs/platform/test/config-docs.spec.ts fails when infra/ reads a
 * variable by name that is not here.
 */
export const LAUNCHER_SETTINGS: ExternalSetting[] = [
  {
    name: 'DATABASE_URL',
    doc: `An existing PostgreSQL server (version 13 or later) to use instead of the embedded one; the launcher creates the
      orders, inventory and shipping databases on it and gives each app its own.`,
    default: 'the embedded PostgreSQL',
    rules: ['a postgres:// URL'],
    example: 'postgres://postgres:dev-only-postgres-password@localhost:5432/postgres',
    secret: true,
  },
  {
    name: 'KAFKA_PORT',
    doc: 'Preferred port of the local Kafka broker (a free one is used when it is taken); of a cluster, the first node\'s (the next ones get the ports after it).',
    default: '9092',
    rules: ['TCP port 1-65535'],
  },
  {
    name: 'KAFKA_NODES',
    doc: `How many Kafka nodes npm start and npm run infra:up run: 1 broker, or a cluster of 3 nodes (each a broker and a
      controller, 384 MB of heap each). On 3, the apps get every broker in KAFKA_BROKERS, KAFKA_REPLICATION_FACTOR=3 and
      KAFKA_MIN_INSYNC_REPLICAS=2, and the internal topics are replicated alike. See docs/operations.md.`,
    default: '1',
    rules: ['1 or 3'],
  },
  {
    name: 'PG_PORT',
    doc: 'Preferred port of the embedded PostgreSQL server (a free one is used when it is taken).',
    default: '5433',
    rules: ['TCP port 1-65535'],
  },
  {
    name: 'ORDERS_PORT',
    doc: 'HTTP port npm start gives orders (as its PORT).',
    default: '3000',
    rules: ['TCP port 1-65535, not that of another app'],
  },
  { name: 'INVENTORY_PORT', doc: 'HTTP port npm start gives inventory (as its PORT).', default: '3001', rules: ['TCP port 1-65535, not that of another app'] },
  { name: 'SHIPPING_PORT', doc: 'HTTP port npm start gives shipping (as its PORT).', default: '3002', rules: ['TCP port 1-65535, not that of another app'] },
  {
    name: 'APP_REPLICAS',
    doc: `How many instances of each app npm start runs. Replica k (from 1) of an app listens on its port + 100*(k-1)
      (orders 3000, 3100...; every port is checked free before anything starts) and logs to <app>-<k>.log (the first
      to <app>.log); each is restarted on its own when it crashes. The replicas of a service share its database, its
      consumer group and its outbox's lanes. See docs/operations.md.`,
    default: '1',
    rules: ['a whole number 1-4'],
  },
  {
    name: 'OBSERVE',
    doc: `1 (or true): npm start also runs Prometheus (Debian's prometheus package, or any prometheus binary on PATH; not
      installed by the launcher) scraping every app instance with the alert rules of infra/prometheus/alerts.yml, and Zipkin
      (fetched once with Maven) receiving the apps' traces: the apps get OTEL_TRACES_EXPORTER=zipkin and its endpoint. Same as
      npm start -- --observe. See docs/operations.md, Watching it run.`,
    default: '0',
    rules: ['1, true, 0 or false'],
  },
  {
    name: 'PROMETHEUS_PORT',
    doc: "Preferred port of the launcher's Prometheus (OBSERVE; a free one is used when it is taken).",
    default: '9090',
    rules: ['TCP port 1-65535, not that of an app'],
  },
  {
    name: 'ZIPKIN_PORT',
    doc: "Preferred port of the launcher's Zipkin (OBSERVE; a free one is used when it is taken).",
    default: '9411',
    rules: ['TCP port 1-65535, not that of an app'],
  },
  {
    name: 'INFRA_DIR',
    doc: `Folder holding the local infrastructure's data, logs and state. When it is set, npm start writes the apps' logs
      to its logs folder too (otherwise to .data/logs).`,
    default: '.data/infra',
  },
  {
    name: 'ADMIN_TOKEN',
    doc: "Inventory's admin token (see inventory), passed on by npm start.",
    default: 'a random one, printed by npm start',
    secret: true,
  },
  {
    name: 'KAFKA_JVM_OPTS',
    doc: `Extra JVM options for the local Kafka broker, after its own (G1, heap 128-768 MB; each node of a cluster 384 MB),
      e.g. -Xmx1g. Also read by the tests' and the benchmarks' brokers.`,
  },
  {
    name: 'APP_NODE_ARGS',
    doc: `Extra node options for the three apps, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof to profile them. They come after the
      launcher's own (--enable-source-maps --max-semi-space-size=64), so --max-semi-space-size=16 here restores Node's
      default young generation. Also read by the benchmarks.`,
  },
  {
    name: 'APP_DIST_DIR',
    doc: `Run the apps' bundles from this build folder (another checkout's dist, built there) instead of this checkout's dist.
      With COMPARE_SETTING=APP_DIST_DIR, npm run bench:compare measures two versions of the code side by side.`,
    default: 'dist',
  },
];

/** Variables that only docker-compose.yml reads. */
export const COMPOSE_SETTINGS: ExternalSetting[] = [
  {
    name: 'POSTGRES_PASSWORD',
    doc: "Password of the postgres superuser in the compose postgres service, also put into each app's DATABASE_URL (use URL-safe characters).",
    default: 'dev-only-postgres-password',
    secret: true,
  },
];

export const OUTPUTS = ['.env.example', 'docs/configuration.md'] as const;
export type Output = (typeof OUTPUTS)[number];

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** A setting ready to print: the same shape for config-class settings and external ones. */
interface Row {
  name: string;
  doc: string;
  /** The default per service that reads it (one entry without a service when they agree); value "" is an empty string. */
  defaults: Array<{ service?: string; value: string }>;
  /** The value after `# NAME=` in .env.example. */
  value: string;
  required: boolean;
  rules: string[];
  secret: boolean;
}

function formatValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** A config-class setting; `perService` holds its description in each service that reads it (their defaults may differ). */
function rowOf(base: SettingInfo, perService: Array<{ service: string; info: SettingInfo }>): Row {
  const all = perService.map(({ service, info }) => ({ service, value: formatValue(info.defaultValue) }));
  const present = all.filter((d): d is { service: string; value: string } => d.value !== undefined);
  const same = present.length === all.length && all.every((d) => d.value === all[0].value);
  return {
    name: base.name,
    doc: base.doc ?? '',
    defaults: same ? present.slice(0, 1).map(({ value }) => ({ value })) : present,
    value: base.example ?? present[0]?.value ?? '',
    required: perService.some(({ info }) => info.required),
    rules: base.rules,
    secret: base.secret,
  };
}

function externalRow(setting: ExternalSetting): Row {
  return {
    name: setting.name,
    doc: collapse(setting.doc),
    defaults: setting.default === undefined ? [] : [{ value: setting.default }],
    value: setting.example ?? (setting.default !== undefined && /^[^\s(]+$/.test(setting.default) ? setting.default : ''),
    required: false,
    rules: setting.rules ?? [],
    secret: setting.secret ?? false,
  };
}

interface Section {
  title: string;
  /** One line under the title: who reads these and where they are declared. */
  about: string;
  rows: Row[];
}

/** Every documented variable, grouped: shared settings, each service's own, the launcher's, docker compose's. */
export function sections(): Section[] {
  const baseDefaults = new Map(describeSettings(SHARED.configClass).map((s) => [s.name, formatValue(s.defaultValue)]));
  const described = SERVICES.map((s) => ({ ...s, settings: describeSettings(s.configClass) }));
  const shared = describeSettings(SHARED.configClass).map((base) =>
    rowOf(
      base,
      described.map((s) => ({ service: s.name, info: s.settings.find((x) => x.name === base.name)! })),
    ),
  );
  const list = (names: string[]) => names.join(', ').replace(/, ([^,]*)$/, ' and $1');
  return [
    {
      title: 'Shared settings',
      about: `Read by ${list(SERVICES.map((s) => s.name))} (BaseConfig, ${SHARED.source}).`,
      rows: shared,
    },
    {
      title: 'Tracing (OpenTelemetry)',
      about: `Read by ${list(SERVICES.map((s) => s.name))} before anything else (TracingConfig, ${TRACING.source}): the standard OTEL_ variables, as the OpenTelemetry SDK defines them. Tracing is off unless OTEL_TRACES_EXPORTER is set. See docs/operations.md, Tracing.`,
      rows: describeSettings(TRACING.configClass).map((info) => rowOf(info, [{ service: 'every service', info }])),
    },
    ...described.map((s) => {
      const own = s.settings.filter((x) => !baseDefaults.has(x.name));
      const overrides = s.settings
        .filter((x) => baseDefaults.has(x.name) && formatValue(x.defaultValue) !== baseDefaults.get(x.name))
        .map((x) => `${x.name} ${formatValue(x.defaultValue)}`);
      return {
        title: s.name,
        about: `Read by ${s.name} (${s.configClass.name}, ${s.source}), with the shared settings${overrides.length ? ` (${overrides.join(', ')})` : ''}${own.length ? '' : ' only'}.`,
        rows: own.map((info) => rowOf(info, [{ service: s.name, info }])),
      };
    }),
    {
      title: 'Launcher',
      about: 'Read by npm start, npm run infra:up and npm run infra:down (infra/): local Kafka and PostgreSQL, and the three apps.',
      rows: LAUNCHER_SETTINGS.map(externalRow),
    },
    {
      title: 'docker compose only',
      about: 'Read by docker-compose.yml.',
      rows: COMPOSE_SETTINGS.map(externalRow),
    },
  ];
}

/** The variables docker-compose.yml takes from the shell or its .env file: the names in its ${...} interpolations. */
function composeVariables(root: string): string[] {
  const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const code = text.replace(/(^|\s)#.*$/gm, ''); // not the comments
  return [...new Set([...code.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
}

/** The facts after a setting's text: allowed values, default or required, secret. */
function facts(row: Row): string[] {
  const out: string[] = [];
  if (row.rules.length) out.push(`Allowed: ${row.rules.join('; ')}.`);
  if (row.required) out.push('Required, no default.');
  else out.push(`Default: ${defaultIn(row, (value) => value)}.`);
  if (row.secret) out.push('Secret.');
  return out;
}

/** The default in words, each value formatted by `value`: "10", "empty", "orders 3000, inventory 3001, shipping 3002". */
function defaultIn(row: Row, value: (v: string) => string): string {
  if (row.defaults.length === 0) return 'unset';
  return row.defaults.map((d) => `${d.service ? `${d.service} ` : ''}${d.value === '' ? 'empty' : value(d.value)}`).join(', ');
}

const WIDTH = 118;

function wrap(text: string, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const comment = (text: string) => wrap(text).map((l) => `# ${l}`);
const bullet = (text: string) => wrap(collapse(text), WIDTH - 4).map((l, i) => `#   ${i === 0 ? '- ' : '  '}${l}`);
const RULE = `# ${'-'.repeat(93)}`;

export function renderEnvExample(root = ROOT): string {
  const out = [
    '# Every setting of the system, with its default. Nothing here is a real secret.',
    '# Generated by `npm run config:docs` from the config classes: edit the `@Setting` texts there',
    '# (libs/platform/src/config/base.config.ts, apps/<app>/src/config.ts) or scripts/config-docs.ts, not this file.',
    '# docs/configuration.md has the same as tables.',
    '#',
    '# The services read their settings from the environment (names = property names of the config',
    '# classes). A bad or missing value stops a service at start-up with a message naming every problem.',
    '#',
    '# Every line is commented out, so the defaults apply. To override a value:',
    '#   - npm start: export it in the shell, or put it in a .env file in the project root (read by npm',
    '#     start; the shell wins). npm run start:<app> (nest start) reads only the shell environment.',
    ...bullet(
      `docker compose: put it in a .env file next to docker-compose.yml (cp .env.example .env) or export it; compose passes
        only the \${...} values it references (${composeVariables(root).join(', ')}); the rest is set per service in the
        environment: blocks of docker-compose.yml.`,
    ),
  ];
  for (const section of sections()) {
    out.push('', RULE, `# ${section.title}`, ...comment(section.about), RULE);
    for (const row of section.rows) {
      out.push('', ...comment(row.doc), ...comment(facts(row).join(' ')), `# ${row.name}=${row.value}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Text for a Markdown table cell: pipes escaped; angle brackets not read as HTML, except in `code`. */
const cell = (text: string) =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('')
    .replace(/\|/g, '\\|');

/** A value as Markdown: code when it is one word, words otherwise ("the embedded PostgreSQL"). */
const mdValue = (value: string) => (/^\S+$/.test(value) ? `\`${value}\`` : value);

export function renderMarkdown(root = ROOT): string {
  const out = [
    '# Configuration',
    '',
    '<!-- Generated by `npm run config:docs` from the config classes and scripts/config-docs.ts; edit those, not this file. -->',
    '',
    'Every setting comes from the environment and is validated at start-up: a bad or missing value stops the service',
    'with one message naming every bad variable. The config classes are the source of this page and of `.env.example`:',
    "each setting's text is its `@Setting` decorator, its default the property's initialiser, its allowed values its",
    'class-validator decorators. `npm run config:docs` rewrites both files; a unit test fails when either is out of date.',
    '',
    '`npm start` also reads a `.env` file in the project root (the shell wins); `npm run start:<app>` reads only the shell',
    `environment. docker compose takes ${composeVariables(root)
      .map((n) => `\`${n}\``)
      .join(', ')} from the shell or a \`.env\` file next to docker-compose.yml and sets the rest per service.`,
  ];
  for (const section of sections()) {
    out.push('', `## ${section.title}`, '', section.about, '');
    if (section.rows.length === 0) {
      out.push('No settings of its own.');
      continue;
    }
    out.push('| Variable | Default | Allowed values | What it does |', '| --- | --- | --- | --- |');
    for (const row of section.rows) {
      const def = row.required ? '**required**' : defaultIn(row, mdValue);
      const rules = row.rules.map((rule) => cell(rule.replace(/ (\/.*\/)$/, ' `$1`'))).join('; ');
      out.push(`| \`${row.name}\` | ${def} | ${rules} | ${cell(row.doc)}${row.secret ? ' **Secret.**' : ''} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function render(output: Output, root = ROOT): string {
  return output === '.env.example' ? renderEnvExample(root) : renderMarkdown(root);
}

/** The outputs whose file differs from what the config classes say now. */
export function staleOutputs(root = ROOT): Output[] {
  return OUTPUTS.filter((output) => {
    const file = path.join(root, output);
    return !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== render(output, root);
  });
}

/** Settings of the config classes without a `@Setting` text, as "Class.NAME". */
export function undocumented(): string[] {
  return [SHARED, TRACING, ...SERVICES].flatMap(({ configClass }) =>
    describeSettings(configClass)
      .filter((s) => !s.doc)
      .map((s) => `${configClass.name}.${s.name}`),
  );
}

function main(args: string[]): number {
  const missing = [...new Set(undocumented())];
  if (missing.length > 0) {
    console.error(`config:docs: give these settings a @Setting({ doc: '...' }) first: ${missing.join(', ')}`);
    return 1;
  }
  if (args.includes('--check')) {
    const stale = staleOutputs();
    for (const output of stale) console.error(`config:docs: ${output} is out of date with the config classes; run: npm run config:docs`);
    if (stale.length === 0) console.log(`config:docs: ${OUTPUTS.join(' and ')} are up to date`);
    return stale.length ? 1 : 0;
  }
  for (const output of OUTPUTS) {
    const file = path.join(ROOT, output);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = render(output);
    const changed = !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
    if (changed) fs.writeFileSync(file, text);
    console.log(`config:docs: ${output} ${changed ? 'written' : 'unchanged'}`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
