import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IsInt } from 'class-validator';
import { BaseConfig } from '../src/config/base.config';
import { loadConfig } from '../src/config/load-config';
import { describeSettings, Setting } from '../src/config/setting';
import { COMPOSE_SETTINGS, LAUNCHER_SETTINGS, OUTPUTS, render, ROOT, sections, SERVICES, SHARED, staleOutputs, TRACING } from '../../../scripts/config-docs';

/**
 * The config classes are the one source of the settings' documentation: .env.example and
 * docs/configuration.md are generated from them by `npm run config:docs` (scripts/config-docs.ts).
 */

/** Where two texts first differ, as "line N: expected ... / on disk ...". */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i < 0 ? a.length : i;
  return `line ${at + 1}:\n  generated: ${a[at] ?? '(end of file)'}\n  on disk:   ${b[at] ?? '(end of file)'}`;
}

describe('generated configuration docs', () => {
  it.each(OUTPUTS)('%s is what `npm run config:docs` writes from the config classes', (output) => {
    const file = path.join(ROOT, output);
    const onDisk = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const generated = render(output);
    if (onDisk !== generated) {
      throw new Error(
        `${output} is out of date with the config classes: run \`npm run config:docs\` and commit the result.\nFirst difference at ${firstDifference(generated, onDisk)}`,
      );
    }
  });

  it('the check names each file that differs from what would be generated', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'config-docs-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'docker-compose.yml'), path.join(root, 'docker-compose.yml'));
      fs.writeFileSync(path.join(root, '.env.example'), render('.env.example', root));
      expect(staleOutputs(root)).toEqual(['docs/configuration.md']); // missing
      fs.mkdirSync(path.join(root, 'docs'));
      fs.writeFileSync(path.join(root, 'docs/configuration.md'), render('docs/configuration.md', root));
      expect(staleOutputs(root)).toEqual([]);
      fs.appendFileSync(path.join(root, '.env.example'), '# FOO=bar\n');
      expect(staleOutputs(root)).toEqual(['.env.example']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('every setting is documented', () => {
  it.each([SHARED, TRACING, ...SERVICES].map((c) => [c.configClass.name, c] as const))(
    'every property of %s has a @Setting text',
    (_name, { configClass, source }) => {
      const undocumented = describeSettings(configClass)
        .filter((s) => !s.doc)
        .map((s) => s.name);
      if (undocumented.length > 0) {
        throw new Error(`${source}: give ${undocumented.join(', ')} a @Setting({ doc: '...' }), then run \`npm run config:docs\``);
      }
    },
  );

  it('a new property without @Setting is found, whether it has validators or only an initialiser', () => {
    class Grown extends BaseConfig {
      @IsInt()
      NEW_COUNT = 1;

      NEW_NAME = 'x';

      @Setting({ doc: 'documented' })
      @IsInt()
      DOCUMENTED = 2;
    }
    const undocumented = describeSettings(Grown)
      .filter((s) => !s.doc)
      .map((s) => s.name);
    expect(undocumented).toEqual(['NEW_COUNT', 'NEW_NAME']);
  });

  it('every variable infra/ reads by name is in the launcher list of scripts/config-docs.ts', () => {
    const read = new Set<string>();
    const files = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === 'kafka' || e.name === 'postgres' ? [] : files(full);
        return e.name.endsWith('.js') && !e.name.endsWith('.spec.js') ? [full] : [];
      });
    for (const file of files(path.join(ROOT, 'infra'))) {
      const source = fs.readFileSync(file, 'utf8');
      const patterns = [/\benv\.([A-Z][A-Z0-9_]*)/g, /\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g, /\breadPort\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g];
      for (const pattern of patterns) for (const m of source.matchAll(pattern)) read.add(m[1]);
    }
    const documented = new Set(LAUNCHER_SETTINGS.map((s) => s.name));
    expect(read.size).toBeGreaterThan(0);
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('no variable is listed twice in a section', () => {
    for (const section of sections()) {
      const names = section.rows.map((r) => r.name);
      expect({ section: section.title, duplicates: names.filter((n, i) => names.indexOf(n) !== i) }).toEqual({ section: section.title, duplicates: [] });
    }
    expect(COMPOSE_SETTINGS.length).toBeGreaterThan(0);
  });
});

describe('what the docs say comes from the classes', () => {
  const byName = (configClass: new () => object) => Object.fromEntries(describeSettings(configClass).map((s) => [s.name, s]));

  it('defaults are the initialisers, "required" is no default and not @IsOptional, rules are the validators', () => {
    const base = byName(BaseConfig);
    expect(base.DB_POOL_SIZE).toMatchObject({ defaultValue: 10, required: false, rules: ['integer 1-100'] });
    expect(base.DATABASE_URL).toMatchObject({ required: true, secret: true });
    expect(base.KAFKA_TOPIC_PREFIX).toMatchObject({ defaultValue: '', required: false });
    expect(base.OUTBOX_BACKLOG_MAX_AGE_MS.rules).toEqual(['integer, at least 1000']);
    expect(base.NODE_ENV.rules).toEqual(['one of development, production, test']);
    expect(base.KAFKA_BROKERS.rules).toEqual(['a comma-separated list of at least 1 entry', 'each entry matching /^[^\\s:,]+:\\d{1,5}$/']);
    expect(base.PORT.required).toBe(true); // BaseConfig alone has no port; every service gives one
  });

  it("a service's override of a shared default keeps the shared text", () => {
    for (const { configClass } of SERVICES) {
      expect(byName(configClass).PORT).toMatchObject({ required: false, doc: byName(BaseConfig).PORT.doc });
    }
    const port = sections()[0].rows.find((r) => r.name === 'PORT')!;
    expect(port.required).toBe(false);
    expect(port.defaults).toEqual(SERVICES.map(({ name, configClass }) => ({ service: name, value: String(new configClass().PORT) })));
  });

  it.each(SERVICES.map((s) => [s.name, s] as const))('the values .env.example shows for %s are accepted by its config class', (name, { configClass }) => {
    const [shared, ...rest] = sections();
    const own = rest.find((s) => s.title === name)!;
    const env = Object.fromEntries([...shared.rows, ...own.rows].map((r) => [r.name, r.value]));
    expect(() => loadConfig(configClass, env)).not.toThrow();
  });

  it('the values .env.example shows for tracing are accepted, and tracing is off by default', () => {
    const section = sections().find((s) => s.title.startsWith('Tracing'))!;
    const env = Object.fromEntries(section.rows.map((r) => [r.name, r.value]));
    expect(loadConfig(TRACING.configClass, env).OTEL_TRACES_EXPORTER).toBe('none');
    expect(loadConfig(TRACING.configClass, {}).OTEL_TRACES_EXPORTER).toBe('none');
  });
});
