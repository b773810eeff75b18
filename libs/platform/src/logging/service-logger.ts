import * as os from 'node:os';
import { Logger as NestLogger, type LoggerService } from '@nestjs/common';
import { pino, stdTimeFunctions, type DestinationStream, type Level, type Logger } from 'pino';
import { useServiceLog } from '@app/messaging';
import type { BaseConfig } from '../config/base.config';

/** LOG_LEVEL names Nest's levels; pino's are these. */
const PINO_LEVEL: Record<string, Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

export type LogSettings = Pick<BaseConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>;

/** LOG_FORMAT=pretty where pino-pretty is not installed (the Docker image has no dev dependencies). */
export class LogFormatError extends Error {}

/**
 * The service's logger: one JSON object a line on standard output (`level`, `time`, `service`, `pid`,
 * `hostname`, `msg`, and the line's own fields), or coloured text for a person at a terminal (LOG_FORMAT).
 * `destination` replaces standard output (tests).
 */
export function createServiceLogger(service: string, settings: LogSettings, destination?: DestinationStream): Logger {
  const options = {
    level: PINO_LEVEL[settings.LOG_LEVEL] ?? 'info',
    base: { service, pid: process.pid, hostname: os.hostname() },
    timestamp: stdTimeFunctions.isoTime,
    // the level's name, not pino's number: what people and log tools read without a table
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // JSON written at once, as console.log writes to files and pipes: no line is lost when the process is
  // killed, crashes, or ends on a signal (Nest re-sends SIGTERM after its shutdown) with lines still buffered
  const stream = destination ?? prettyStream(settings.LOG_FORMAT) ?? pino.destination({ dest: 1, sync: true });
  return pino(options, stream);
}

/** pino-pretty on standard output, when asked for (pretty) or at a terminal (auto); undefined for JSON. */
function prettyStream(format: LogSettings['LOG_FORMAT']): DestinationStream | undefined {
  if (format === 'json' || (format === 'auto' && !process.stdout.isTTY)) return undefined;
  let pretty: typeof import('pino-pretty');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pretty = require('pino-pretty');
  } catch {
    if (format === 'auto') return undefined;
    throw new LogFormatError('LOG_FORMAT=pretty needs the pino-pretty package, a dev dependency that this installation does not have; use LOG_FORMAT=json');
  }
  return pretty({
    colorize: true,
    sync: true, // a line is on the screen before the next statement runs, as console.log's are
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{service} {if context}[{context}] {end}{msg}',
  });
}

/**
 * Makes `logger` the logger of everything in the process: Nest's own lines and every `new Logger(context)`
 * (through PinoNestLogger), and the event lines of @app/messaging. Returns the Nest logger, for NestFactory.
 */
export function installServiceLogger(logger: Logger): PinoNestLogger {
  const nest = new PinoNestLogger(logger);
  useServiceLog(logger);
  NestLogger.overrideLogger(nest);
  return nest;
}

/** A stack trace, as Nest's exception handlers pass one after the message. */
const STACK = /\n\s+at /;

/**
 * Nest's LoggerService on pino. Nest calls each method with the message, then what the call added (a stack
 * for error()), then the Logger's context last. A message that is an object is written as the line's fields
 * (`logger.warn({ msg, orderId })`); an Error, or a stack passed with the message, as `err`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let rest = params;
    const last = rest[rest.length - 1];
    if (typeof last === 'string' && !STACK.test(last)) {
      fields.context = last;
      rest = rest.slice(0, -1);
    }
    const details: unknown[] = [];
    for (const param of rest) {
      if (param === undefined) continue; // error() without a stack, from a Logger with a context
      // a stack passed with its message: written as an error, like a thrown one's
      if (typeof param === 'string' && STACK.test(param)) fields.err = Object.assign(new Error(String(message)), { stack: param });
      else details.push(param);
    }
    if (details.length > 0) fields.details = details;
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
