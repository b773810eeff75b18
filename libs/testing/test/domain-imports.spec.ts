import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * The layer rule of eslint.config.mjs that keeps every service's domain pure, checked on sample files with
 * the repository's own configuration through ESLint's Node API (`new ESLint().lintText`). In a child process:
 * the configuration is an ES module, which ESLint loads with a dynamic import that jest's module system does
 * not run (without --experimental-vm-modules).
 */
const ROOT = resolve(__dirname, '../../..');
const RULES = ['@typescript-eslint/no-restricted-imports', 'no-restricted-imports'];
const DOMAIN_RULE_SAYS = 'domain code imports only @app/contracts, node built-ins and its own domain (./)';

const LINT = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.on('data', (d) => (input += d)).on('end', async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const results = [];
  for (const { filePath, text } of JSON.parse(input)) {
    const [result] = await eslint.lintText(text, { filePath });
    results.push(result.messages.map(({ ruleId, message, fatal }) => ({ ruleId, message, fatal: !!fatal })));
  }
  process.stdout.write(JSON.stringify(results));
});`;

interface Sample {
  filePath: string;
  imports: string;
}

/** The messages of the import rules for each sample, linted in one ESLint run. */
function lintAll(samples: Sample[]): Map<Sample, string[]> {
  const texts = samples.map((s) => ({ filePath: s.filePath, text: `${s.imports}\nexport const used = [${importedNames(s.imports)}];\n` }));
  const output = execFileSync(process.execPath, ['-e', LINT], { cwd: ROOT, input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 16 << 20 });
  const results: { ruleId: string | null; message: string; fatal: boolean }[][] = JSON.parse(output);
  return new Map(
    samples.map((sample, i) => {
      const fatal = results[i].filter((m) => m.fatal);
      if (fatal.length > 0) throw new Error(`ESLint could not parse ${sample.imports}: ${fatal.map((m) => m.message).join('; ')}`);
      return [sample, results[i].filter((m) => m.ruleId !== null && RULES.includes(m.ruleId)).map((m) => m.message)];
    }),
  );
}

/** The names a sample imports, used so that no-unused-vars has nothing to say. */
function importedNames(imports: string): string {
  return [...imports.matchAll(/import (?:type )?\{ (\w+) \}|import \* as (\w+)/g)].map((m) => m[1] ?? m[2]).join(', ');
}

const DOMAINS = ['apps/orders/src/domain/x.ts', 'apps/inventory/src/domain/x.ts', 'apps/shipping/src/domain/x.ts'];
const DOMAIN_FILE = DOMAINS[0];

const typeorm = DOMAINS.map((filePath) => ({ filePath, imports: `import { EntityManager } from 'typeorm';` }));
const refused = [
  `import type { EntityManager } from 'typeorm';`,
  `import { Injectable } from '@nestjs/common';`,
  `import { Outbox } from '@app/messaging';`,
  `import { DOMAIN_ERROR_STATUS } from '@app/platform';`,
  `import { anEnvelope } from '@app/testing/events';`,
  `import { OrdersRepository } from '../persistence/orders.repository';`,
  `import { OrderView } from '../application/order.view';`,
  `import { OrderEntity } from './../persistence/order.entity';`,
  `import { OrderEntity } from './sub/../../persistence/order.entity';`,
  `import { StockDelta } from '../../../inventory/src/domain/stock';`,
  `import { Client } from 'pg';`,
  `import * as contracts from '@app/contracts-next';`,
].map((imports) => ({ filePath: DOMAIN_FILE, imports }));
const allowed = [
  `import { OrderPlacedV1 } from '@app/contracts';`,
  `import { validateData } from '@app/contracts/validation';`,
  `import { randomUUID } from 'node:crypto';`,
  `import { randomUUID } from 'crypto';`,
  `import { readFile } from 'fs/promises';`,
  `import { Order } from './order';`,
  `import type { Stall } from './clock/saga-clock';`,
].map((imports) => ({ filePath: DOMAIN_FILE, imports }));
const elsewhere = {
  persistence: { filePath: 'apps/orders/src/persistence/x.ts', imports: `import { EntityManager } from 'typeorm';` },
  domainSpec: { filePath: 'apps/orders/src/domain/x.spec.ts', imports: `import { given } from '@app/testing/given-when-then';` },
  domainSpecOtherApp: { filePath: 'apps/orders/src/domain/x.spec.ts', imports: `import { StockDelta } from '../../../inventory/src/domain/stock';` },
  // the libs' own layer rules: contracts and database take no Nest (a later, broader block must not replace them)
  contractsNest: { filePath: 'libs/contracts/src/x.ts', imports: `import { Injectable } from '@nestjs/common';` },
  databaseNest: { filePath: 'libs/database/src/x.ts', imports: `import { Injectable } from '@nestjs/common';` },
  messagingApp: { filePath: 'libs/messaging/src/x.ts', imports: `import { OrdersRepository } from '../../../apps/orders/src/persistence/orders.repository';` },
};

describe('a domain imports @app/contracts, node built-ins and its own domain, nothing else (eslint.config.mjs)', () => {
  let errors: Map<Sample, string[]>;

  beforeAll(() => {
    errors = lintAll([...typeorm, ...refused, ...allowed, ...Object.values(elsewhere)]);
  });

  it.each(typeorm.map((s) => [s.filePath, s] as const))('lint fails on %s importing typeorm', (_path, sample) => {
    expect(errors.get(sample)).toEqual([expect.stringContaining(DOMAIN_RULE_SAYS)]);
  });

  it.each(refused.map((s) => [s.imports, s] as const))('lint fails on %s in a domain', (_imports, sample) => {
    expect(errors.get(sample)).toContainEqual(expect.stringContaining(DOMAIN_RULE_SAYS));
  });

  it.each(allowed.map((s) => [s.imports, s] as const))('lint passes %s in a domain', (_imports, sample) => {
    expect(errors.get(sample)).toEqual([]);
  });

  it("leaves the other layers, and the domain's specs, to their own rules", () => {
    expect(errors.get(elsewhere.persistence)).toEqual([]);
    expect(errors.get(elsewhere.domainSpec)).toEqual([]);
    // the rule that keeps apps apart still holds there
    expect(errors.get(elsewhere.domainSpecOtherApp)).toHaveLength(1);
  });

  it('keeps Nest out of contracts and database, and apps out of every lib', () => {
    expect(errors.get(elsewhere.contractsNest)).toHaveLength(1);
    expect(errors.get(elsewhere.databaseNest)).toHaveLength(1);
    expect(errors.get(elsewhere.messagingApp)).toHaveLength(1);
  });
});
