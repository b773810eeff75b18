import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Runs a built app with only `env`; it must stop before touching any infrastructure. */
function boot(app: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'apps', app, 'main.js')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

const GOOD = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/orders', KAFKA_BROKERS: '127.0.0.1:1' };

describe('configuration is validated at boot', () => {
  it('a missing DATABASE_URL and KAFKA_BROKERS stop orders with status 1 and one message naming both', () => {
    const { code, stderr } = boot('orders', {});
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration (2 problems)');
    expect(stderr).toMatch(/DATABASE_URL is not set/);
    expect(stderr).toMatch(/KAFKA_BROKERS is not set/);
  });

  it('invalid values are named with what was given', () => {
    const { code, stderr } = boot('orders', { ...GOOD, PORT: 'eighty', KAFKA_BROKERS: 'localhost', OUTBOX_LANES: '0' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT.*"eighty"/);
    expect(stderr).toMatch(/KAFKA_BROKERS must be a comma-separated list of host:port.*"localhost"/);
    expect(stderr).toMatch(/OUTBOX_LANES.*"0"/);
  });

  it("each app checks its own settings: inventory's ADMIN_TOKEN, shipping's SERVED_COUNTRIES", () => {
    const inventory = boot('inventory', { ...GOOD, ADMIN_TOKEN: 'short', SEED_DEMO_DATA: 'maybe' });
    expect(inventory.code).toBe(1);
    expect(inventory.stderr).toContain('ADMIN_TOKEN must be at least 16 characters');
    expect(inventory.stderr).toContain('SEED_DEMO_DATA must be true or false');

    const shipping = boot('shipping', { ...GOOD, SERVED_COUNTRIES: 'DE,Germany', DELIVERY_DAYS: '-1' });
    expect(shipping.code).toBe(1);
    expect(shipping.stderr).toMatch(/SERVED_COUNTRIES must be comma-separated ISO 3166-1 alpha-2 codes/);
    expect(shipping.stderr).toMatch(/DELIVERY_DAYS/);
  });
});
