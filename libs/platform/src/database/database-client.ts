import { createHash } from 'node:crypto';
import { Client } from 'pg';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (value: unknown) => unknown };

/** Distinct statements one connection keeps prepared; past that, statements run unnamed as before. */
export const MAX_PREPARED_PER_CONNECTION = 256;

/**
 * A pg client that runs every statement with parameters as a named prepared statement: Postgres
 * parses and plans it once per connection instead of on every execution (planning was about a third
 * of the database's time under load). The name is a hash of the text, so the same text always gets
 * the same name and different texts never share one.
 */
export class PreparedStatementClient extends Client {
  private prepared = 0;
  private readonly names = new Map<string, string>();

  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
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
