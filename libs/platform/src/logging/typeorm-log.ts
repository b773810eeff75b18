import type { Logger as TypeOrmLogger } from 'typeorm';
import { serviceLog } from '@app/messaging';

/**
 * TypeORM's messages as the service's JSON lines (its own loggers print text to the console). A failed
 * statement is a warning: the code that ran it handles the error (retries, answers 503, dead-letters) and
 * logs what it decided. Its parameters are left out: they carry customers' names and addresses.
 */
export class TypeOrmLog implements TypeOrmLogger {
  logQuery(): void {
    // every statement: never logged
  }

  logQueryError(error: string | Error, query: string): void {
    const message = typeof error === 'string' ? error : error.message;
    serviceLog().warn({ context: 'TypeORM', query }, `statement failed: ${message}`);
  }

  logQuerySlow(time: number, query: string): void {
    serviceLog().warn({ context: 'TypeORM', query, ms: time }, `statement took ${time} ms`);
  }

  logSchemaBuild(message: string): void {
    serviceLog().debug({ context: 'TypeORM' }, message);
  }

  logMigration(message: string): void {
    serviceLog().info({ context: 'TypeORM' }, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    serviceLog()[level === 'warn' ? 'warn' : 'debug']({ context: 'TypeORM' }, String(message));
  }
}
