import { createHash } from 'node:crypto';
import { Client, ClientConfig, QueryResult } from 'pg';
import { DEFERRED_MARK, SETTLED_ROWS, SettledRows } from './deferred';
import { prepareValue, socketOf } from './pg-internals';

/** Distinct statements one connection keeps prepared; past that, statements run unnamed as before. */
export const MAX_PREPARED_PER_CONNECTION = 256;

export interface DatabaseClientConfig extends ClientConfig {
  /** Statements with parameters run as named prepared statements (parsed and planned once per connection). */
  preparedStatements?: boolean;
  /** BEGIN and deferred writes wait in the client and go out with the next statement that needs an answer. */
  pipelineTransactions?: boolean;
}

const BEGIN = /^\s*(START TRANSACTION|BEGIN)\s*;?\s*$/i;
const COMMIT = /^\s*(COMMIT|END)\s*;?\s*$/i;
const ROLLBACK = /^\s*ROLLBACK\s*;?\s*$/i;
const ROLLBACK_TO_SAVEPOINT = /^\s*ROLLBACK\s+TO\s+(SAVEPOINT\s+)?\S+\s*;?\s*$/i;

/** A statement the client holds until something needs an answer from the server. */
interface Held {
  text: string;
  values?: unknown[];
  resolve?: (result: QueryResult) => void;
  reject?: (err: unknown) => void;
}

/** Thrown by COMMIT when the server rolled the transaction back instead (it had failed). */
export class TransactionRolledBackError extends Error {
  constructor() {
    super('COMMIT rolled the transaction back: a statement of it had failed');
    this.name = 'TransactionRolledBackError';
  }
}

/**
 * The pg client of the services' pool. Two things, each of which can be turned off:
 *
 * - Prepared statements: every statement with parameters runs as a named prepared statement, so
 *   Postgres parses and plans it once per connection instead of on every execution (planning was a
 *   large part of the database's time under load: see docs/decisions/014-prepared-statements.md). The
 *   name is a hash of the text, so the same
 *   text always gets the same name and different texts never share one.
 *
 * - Pipelined transactions: a round trip costs both processes a wake-up, and a transaction used to
 *   pay one each for BEGIN, for every write whose answer nobody reads and for COMMIT. Now BEGIN and
 *   writes marked `deferred()` are answered at once from here and wait in the client; they go out,
 *   in order, in one write together with the next statement that needs an answer (or the COMMIT),
 *   through pg's pipeline mode, and the client waits once for all of them. A place-order
 *   transaction (BEGIN, outbox insert, order insert, COMMIT) is one round trip instead of four.
 *   Semantics are those of sending each statement in turn: the server runs them in the same order
 *   in the same session. What moves is where an error is reported: a deferred write that fails
 *   fails the next statement that is waited for, or the COMMIT, with its own error (and the
 *   transaction is then rolled back by its caller as for any failed statement). A COMMIT that the
 *   server turns into a rollback is an error, never a success.
 */
export class DatabaseClient extends Client {
  private prepared = 0;
  private readonly names = new Map<string, string>();
  private readonly preparedStatements: boolean;
  private readonly pipelineTransactions: boolean;
  /** Statements answered from here and not yet sent (a BEGIN, deferred writes). */
  private held: Held[] = [];
  /** A transaction is open from the client's point of view (its BEGIN may still be held). */
  private inTransaction = false;
  /** The open transaction's BEGIN has been sent to the server. */
  private begunOnServer = false;
  /**
   * Held statements sent without anyone waiting (sendNow): the error of the first that failed, or null.
   * The next statement waited for reports it (its own error would only be "transaction is aborted").
   */
  private unwaited: Promise<unknown> | null = null;
  /** Without pipelining: the statement before, which the next one waits for. */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(config: DatabaseClientConfig | string = {}) {
    const options = typeof config === 'string' ? { connectionString: config } : config;
    super({ ...options, ...(options.pipelineTransactions ? { pipeline: true } : {}) } as ClientConfig);
    this.preparedStatements = options.preparedStatements ?? true;
    this.pipelineTransactions = options.pipelineTransactions ?? false;
  }

  override query(config: any, values?: any, callback?: any): any {
    if (!this.pipelineTransactions) {
      if (typeof config !== 'string' || typeof values === 'function' || callback) return this.send(config, values, callback);
      // statements issued together (Promise.all) run one after the other, as pg (which deprecates
      // queueing them itself) would have run them
      const run = this.previous.then(() => this.send(config, values) as Promise<QueryResult>);
      this.previous = run.catch(() => {});
      return run;
    }
    if (typeof config !== 'string' || typeof values === 'function' || callback) {
      // not TypeORM's promise form: keep the order of statements, and do not hold this one
      if (this.held.length > 0) this.sendHeldUnwaited();
      return this.send(config, values, callback);
    }
    return this.pipelined(config, Array.isArray(values) ? values : undefined);
  }

  private async pipelined(text: string, values: unknown[] | undefined): Promise<QueryResult> {
    if (BEGIN.test(text) && !(this.inTransaction && this.begunOnServer)) {
      // a transaction left without COMMIT or ROLLBACK that never reached the server: its held writes go
      // (sent, they would have joined this transaction and been committed with it)
      for (const h of this.held) h.reject?.(new Error('the transaction was abandoned before this statement was sent'));
      this.held = [];
      this.inTransaction = true;
      this.begunOnServer = false;
      this.held.push({ text });
      return answer('BEGIN');
    }
    if (this.inTransaction && text.startsWith(DEFERRED_MARK)) {
      // the values are converted now: an unconvertible one fails this call, not a later one
      const converted = values?.map((v) => prepareValue(v));
      const rows: unknown[] = [];
      const entry: Held = { text, values: converted };
      const settled = new Promise<unknown[]>((resolve, reject) => {
        entry.resolve = (r) => resolve(r.rows);
        entry.reject = reject;
      });
      settled.catch(() => {}); // its error is reported by the statement waited for after it
      this.held.push(entry);
      const later: SettledRows = {
        rows: settled,
        // each held write answers for itself: the error of sending them all is not this one's to report
        sendNow: () => {
          if (this.held.includes(entry)) this.sendHeldUnwaited();
        },
      };
      Object.defineProperty(rows, SETTLED_ROWS, { value: later });
      return { ...answer('DEFERRED'), rows };
    }
    if (this.inTransaction && (ROLLBACK.test(text) || ROLLBACK_TO_SAVEPOINT.test(text))) {
      // held statements are all younger than the savepoint (a SAVEPOINT sends what is held before it)
      const toSavepoint = ROLLBACK_TO_SAVEPOINT.test(text);
      const discarded = this.held;
      this.held = [];
      this.unwaited = null;
      if (!toSavepoint) this.inTransaction = false;
      for (const h of discarded) h.reject?.(new Error('the transaction was rolled back before this statement was sent'));
      if (!toSavepoint && !this.begunOnServer) return answer('ROLLBACK'); // the server never saw this transaction
      return this.send(text, values);
    }
    const commit = this.inTransaction && COMMIT.test(text);
    if (commit && !this.begunOnServer && this.held.every((h) => BEGIN.test(h.text))) {
      // nothing but the BEGIN: an empty transaction, the server need not see it
      this.held = [];
      this.inTransaction = false;
      return answer('COMMIT');
    }
    try {
      let result: QueryResult | undefined;
      let error: unknown = null;
      try {
        result = this.held.length === 0 ? await this.send(text, values) : (await this.sendHeld([{ text, values }]))[0];
      } catch (err) {
        error = err;
      }
      // statements sent earlier without anyone waiting went out before this one: no extra wait
      const earlier = this.unwaited ? await this.unwaited : null;
      this.unwaited = null;
      if (earlier) throw earlier;
      if (error) throw error;
      if (commit && result!.command === 'ROLLBACK') throw new TransactionRolledBackError();
      return result!;
    } finally {
      if (commit) this.inTransaction = false; // over, committed or not
    }
  }

  /** Sends what is held without waiting; its first error is kept for the next statement waited for. */
  private sendHeldUnwaited(): void {
    const sending = this.sendHeld([]).then(
      () => null,
      (err: unknown) => err,
    );
    const before = this.unwaited;
    this.unwaited = before ? Promise.all([before, sending]).then(([a, b]) => a ?? b) : sending;
  }

  /**
   * Sends the held statements and then `next` in one write, waits for all of them, and answers the
   * results of `next`; the first failure among them is thrown (a held statement's own error, not
   * the "transaction is aborted" that the statements after it get).
   */
  private async sendHeld(next: { text: string; values?: unknown[] }[]): Promise<QueryResult[]> {
    const held = this.held;
    this.held = [];
    const stream = socketOf(this);
    stream?.cork?.();
    const sent: Promise<QueryResult>[] = [];
    try {
      for (const h of held) {
        if (BEGIN.test(h.text)) this.begunOnServer = true;
        const p = this.send(h.text, h.values) as Promise<QueryResult>;
        // (a BEGIN has no one to answer: its failure is reported through `sent` alone)
        if (h.resolve) p.then(h.resolve, h.reject);
        sent.push(p);
      }
      for (const n of next) sent.push(this.send(n.text, n.values) as Promise<QueryResult>);
    } finally {
      stream?.uncork?.();
    }
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return (settled as PromiseFulfilledResult<QueryResult>[]).slice(held.length).map((s) => s.value);
  }

  /** Runs one statement now (named when it has parameters and prepared statements are on). */
  private send(config: any, values?: any, callback?: any): any {
    if (this.preparedStatements && typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = this.nameOf(config);
      // values are converted here first: were a conversion to fail inside pg, it would deallocate the
      // named statement on the server while this connection still believes it prepared
      let prepared: unknown[] | undefined;
      try {
        prepared = name ? values.map((v) => prepareValue(v)) : undefined;
      } catch {
        prepared = undefined; // run unnamed: pg reports the same conversion error, and nothing is deallocated
      }
      if (name && prepared) return super.query({ name, text: config, values: prepared }, callback);
    }
    return super.query(config, values, callback);
  }

  private nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known || this.prepared >= MAX_PREPARED_PER_CONNECTION) return known;
    const name = `s_${createHash('sha1').update(text).digest('base64url')}`;
    this.names.set(text, name);
    this.prepared++;
    return name;
  }
}

/** The answer to a statement the client took without asking the server. */
function answer(command: string): QueryResult {
  return { command, rowCount: null, oid: 0, fields: [], rows: [] };
}
