'use strict';
// What the launcher says when a PostgreSQL program fails: the cause and what to do, never "exit null".
const { failure } = require('./postgres');

const asRoot = { uid: 101, gid: 104 };
const spawnError = (code) => Object.assign(new Error(`spawnSync /x/bin/initdb ${code}`), { code });

describe('failure', () => {
  it('names a program that could not be run as the postgres user, and the way out', () => {
    const message = failure('initdb', '/x/bin/initdb', { status: null, signal: null, error: spawnError('EACCES') }, asRoot);
    expect(message).toContain('could not run /x/bin/initdb as the postgres user (uid 101) (EACCES)');
    expect(message).toMatch(/a folder above it is private.*DATABASE_URL/);
    expect(message).not.toMatch(/null/);
  });

  it('says to reinstall a program that is missing', () => {
    const message = failure('initdb', '/x/bin/initdb', { status: null, signal: null, error: spawnError('ENOENT') }, {});
    expect(message).toMatch(/could not run \/x\/bin\/initdb \(ENOENT\)\. Reinstall the binaries with npm ci/);
  });

  it('names the signal that killed a program', () => {
    const message = failure('pg_ctl start', '/x/bin/pg_ctl', { status: null, signal: 'SIGKILL', stdout: '', stderr: '' }, asRoot);
    expect(message).toBe('pg_ctl start failed: pg_ctl as the postgres user (uid 101) was killed by SIGKILL');
  });

  it("gives a program's exit code with what it printed", () => {
    const message = failure('initdb', '/x/bin/initdb', { status: 1, signal: null, stdout: 'out\n', stderr: 'initdb: error: no space\n' }, {});
    expect(message).toBe('initdb failed: initdb exited with code 1:\nout\ninitdb: error: no space');
  });
});
