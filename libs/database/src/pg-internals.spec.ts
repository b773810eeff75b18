import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { Client } from 'pg';
import { DatabaseClient } from './database-client';
import { deferred } from './deferred';
import { PG_VERSION_READ, prepareValue, socketOf } from './pg-internals';

/* eslint-disable @typescript-eslint/no-require-imports */
const pgUtils = require('pg/lib/utils') as { prepareValue: unknown };
const Connection = require('pg/lib/connection') as new (...args: unknown[]) => object;
const Query = require('pg/lib/query') as new (config: object) => { submit(connection: object): Error | null };
/* eslint-enable @typescript-eslint/no-require-imports */

const root = join(__dirname, '..', '..', '..');
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

/**
 * DatabaseClient reaches into pg (see pg-internals.ts). These fail when pg is not the version those
 * internals were read from, or when one of them is gone or has changed shape, instead of the client
 * silently losing its batching or its prepared statements under load.
 */
describe('pg internals DatabaseClient relies on', () => {
  it('pg is pinned to the exact version its internals were read from, and that version is installed', () => {
    const pinned = json('package.json').dependencies.pg;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // no range: an npm install must not bring another pg
    expect(pinned).toBe(PG_VERSION_READ);
    expect(require('pg/package.json').version).toBe(PG_VERSION_READ); // eslint-disable-line @typescript-eslint/no-require-imports
    const lock = json('package-lock.json');
    expect(lock.packages['node_modules/pg'].version).toBe(PG_VERSION_READ);
    expect(lock.packages[''].dependencies.pg).toBe(PG_VERSION_READ);
  });

  it("pg/lib/utils exports prepareValue, the very function pg's Query binds values with", () => {
    expect(typeof pgUtils.prepareValue).toBe('function');
    expect(prepareValue).toBe(pgUtils.prepareValue);
    const bind = jest.fn();
    const connection = fakeConnection({ bind });
    expect(new Query({ name: 's_test', text: 'SELECT $1::int', values: [1] }).submit(connection)).toBeNull();
    expect(bind).toHaveBeenCalledWith(expect.objectContaining({ statement: 's_test', values: [1], valueMapper: pgUtils.prepareValue }));
  });

  it('prepareValue converts as the client expects, and throws on a value that cannot be sent', () => {
    expect(prepareValue(null)).toBeNull();
    expect(prepareValue(undefined)).toBeNull();
    expect(prepareValue(42)).toBe('42');
    expect(prepareValue({ a: 1 })).toBe('{"a":1}');
    expect(prepareValue([1, 'b'])).toBe('{"1","b"}');
    const buffer = Buffer.from('x');
    expect(prepareValue(buffer)).toBe(buffer);
    expect(prepareValue({ toPostgres: () => 'custom' })).toBe('custom');
    expect(() => prepareValue({ big: BigInt(1) })).toThrow(/BigInt/);
  });

  it("a client's socket is connection.stream, a net.Socket that can be corked", () => {
    const client = new Client({ pipeline: true });
    const connection = (client as unknown as { connection: object }).connection;
    expect(connection).toBeInstanceOf(Connection);
    const stream = socketOf(client);
    expect(stream).toBe((connection as { stream: unknown }).stream);
    expect(stream).toBeInstanceOf(Socket);
    expect(typeof stream?.cork).toBe('function');
    expect(typeof stream?.uncork).toBe('function');
    expect(client.pipeline).toBe(true); // pg's pipeline mode, which DatabaseClient turns on
    expect(new DatabaseClient({ pipelineTransactions: true }).pipeline).toBe(true);
  });

  it('pg parses a named statement once per connection (what makes a statement prepared)', () => {
    const parse = jest.fn();
    const connection = fakeConnection({ parse });
    for (const value of [1, 2]) new Query({ name: 's_test', text: 'SELECT $1::int', values: [value] }).submit(connection);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(connection.submittedNamedStatements).toEqual({ s_test: 'SELECT $1::int' });
    const fresh = new Connection({}) as { parsedStatements?: unknown; submittedNamedStatements?: unknown };
    expect(fresh.parsedStatements).toEqual({});
    expect(fresh.submittedNamedStatements).toEqual({});
  });

  it('with all of that, a pipelined transaction goes out in one write (a fake server, no database)', async () => {
    const server = new FakeServer();
    const client = new DatabaseClient({ stream: server, pipelineTransactions: true } as object);
    await client.connect();
    const before = server.writes.length;

    await client.query('START TRANSACTION');
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [1]);
    await client.query(deferred('INSERT INTO items (id) VALUES ($1)'), [2]);
    expect(server.writes.length).toBe(before); // held
    const commit = client.query('COMMIT');
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.writes.length).toBe(before + 1);
    // BEGIN, the insert parsed once and run twice as a named statement, COMMIT: one write, in order
    expect(messageTypes(server.writes[before])).toEqual(['Q', 'P', 'B', 'D', 'E', 'S', 'B', 'D', 'E', 'S', 'Q']);

    server.answer(
      [commandComplete('BEGIN'), ready('T')],
      [parseComplete, bindComplete, noData, commandComplete('INSERT 0 1'), ready('T')],
      [bindComplete, noData, commandComplete('INSERT 0 1'), ready('T')],
      [commandComplete('COMMIT'), ready('I')],
    );
    expect((await commit).command).toBe('COMMIT');
    await client.end();
  });
});

/** A stand-in for pg's Connection, enough for Query.submit to run against. */
function fakeConnection(overrides: Record<string, jest.Mock>) {
  return {
    parsedStatements: {} as Record<string, string>,
    submittedNamedStatements: {} as Record<string, string>,
    stream: { cork: jest.fn(), uncork: jest.fn() },
    parse: jest.fn(),
    bind: jest.fn(),
    describe: jest.fn(),
    execute: jest.fn(),
    sync: jest.fn(),
    flush: jest.fn(),
    query: jest.fn(),
    close: jest.fn(),
    ...overrides,
  };
}

/** A socket with a PostgreSQL server behind it that lets in anyone and answers what it is told to. */
class FakeServer extends Duplex {
  readonly writes: Buffer[] = [];

  connect(): this {
    setImmediate(() => this.emit('connect'));
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  answer(...messages: Buffer[][]): void {
    this.push(Buffer.concat(messages.flat()));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.received([chunk]);
    done();
  }

  override _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    this.received(chunks.map((c) => c.chunk));
    done();
  }

  override _final(done: () => void): void {
    this.push(null);
    done();
  }

  private received(chunks: Buffer[]): void {
    this.writes.push(Buffer.concat(chunks));
    if (this.writes.length === 1) this.answer([message('R', int32(0)), ready('I')]); // the startup message: authenticated, ready
  }
}

/** The type of each message in a write of the client's (after the startup message: a type byte, then the length). */
function messageTypes(write: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at < write.length; at += 1 + write.readInt32BE(at + 1)) types.push(String.fromCharCode(write[at]));
  return types;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

const ready = (status: 'I' | 'T') => message('Z', Buffer.from(status, 'latin1'));
const commandComplete = (tag: string) => message('C', Buffer.from(`${tag}\0`));
const parseComplete = message('1');
const bindComplete = message('2');
const noData = message('n');
