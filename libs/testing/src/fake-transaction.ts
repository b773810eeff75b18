/*
 * A stand-in for a TypeORM transaction in unit specs, free of side effects: import it as
 * `@app/testing/fake-transaction`.
 */
import type { EntityManager } from 'typeorm';

/** A transaction that records the statements sent through it (each answered with no rows) instead of running them. */
export function fakeTransaction() {
  const statements: { sql: string; params: unknown[] }[] = [];
  const tx = {
    queryRunner: { isTransactionActive: true, data: {} },
    query: async (sql: string, params: unknown[] = []) => {
      statements.push({ sql, params });
      return [];
    },
  } as unknown as EntityManager;
  return { tx, statements };
}
