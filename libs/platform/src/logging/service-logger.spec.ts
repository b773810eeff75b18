import { ConsoleLogger, Logger } from '@nestjs/common';
import { serviceLog, useServiceLog } from '@app/messaging';
import { messageTraceId, writeEventLine } from '@app/messaging/logging/service-log';
import { createServiceLogger, installServiceLogger, LogFormatError, type LogSettings } from './service-logger';

/** A logger writing into an array: each line as parsed JSON. */
function capture(settings: Partial<LogSettings> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createServiceLogger(
    'orders',
    { LOG_LEVEL: 'log', LOG_FORMAT: 'json', ...settings },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

describe('the service logger', () => {
  const before = serviceLog();
  afterEach(() => {
    useServiceLog(before);
    Logger.overrideLogger(new ConsoleLogger());
  });

  it('writes a JSON object a line: level by name, ISO time, the service, the message', () => {
    const { logger, lines } = capture();
    logger.info({ orderId: 'o-1' }, 'hello');
    expect(lines).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        service: 'orders',
        pid: process.pid,
        hostname: expect.any(String),
        orderId: 'o-1',
        msg: 'hello',
      },
    ]);
  });

  it.each([
    ['error', ['error']],
    ['warn', ['error', 'warn']],
    ['log', ['error', 'warn', 'info']],
    ['debug', ['error', 'warn', 'info', 'debug']],
    ['verbose', ['error', 'warn', 'info', 'debug', 'trace']],
  ])('LOG_LEVEL=%s writes %j', (level, written) => {
    const { logger, lines } = capture({ LOG_LEVEL: level });
    for (const l of ['trace', 'debug', 'info', 'warn', 'error'] as const) logger[l](l);
    expect(lines.map((l) => l.level).sort()).toEqual([...written].sort());
  });

  it("takes Nest's loggers over: context, stack, structured fields and errors", () => {
    const { logger, lines } = capture();
    installServiceLogger(logger);
    const nest = new Logger('OrderDeadline');
    nest.log('started');
    nest.error('scan failed', 'Error: x\n    at scan (deadline.ts:1:1)');
    nest.error('no stack');
    nest.warn({ msg: 'order o-1 cancelled', orderId: 'o-1' });
    nest.debug('not written at log');
    Logger.error(new Error('boom'));
    expect(lines.map(({ time: _t, pid: _p, hostname: _h, ...rest }) => rest)).toEqual([
      { level: 'info', service: 'orders', context: 'OrderDeadline', msg: 'started' },
      {
        level: 'error',
        service: 'orders',
        context: 'OrderDeadline',
        err: { type: 'Error', message: 'scan failed', stack: 'Error: x\n    at scan (deadline.ts:1:1)' },
        msg: 'scan failed',
      },
      { level: 'error', service: 'orders', context: 'OrderDeadline', msg: 'no stack' },
      { level: 'warn', service: 'orders', context: 'OrderDeadline', msg: 'order o-1 cancelled', orderId: 'o-1' },
      { level: 'error', service: 'orders', err: expect.objectContaining({ type: 'Error', message: 'boom' }), msg: 'boom' },
    ]);
  });

  it("writes an event's line with the ids that tie it to its order, request and trace", () => {
    const { logger, lines } = capture();
    useServiceLog(logger);
    const envelope = { id: 'e-1', type: 'OrderPlaced', version: 1, occurredAt: '', orderId: 'o-1', correlationId: 'c-1', causationId: null, data: {} };
    writeEventLine({ envelope, traceId: 'a'.repeat(32), outcome: 'applied', topic: 'orders.events', partition: 2, offset: '7' });
    writeEventLine({ envelope, traceId: undefined, outcome: 'duplicate', topic: 'orders.events', partition: 2, offset: '7' });
    expect(lines[0]).toMatchObject({
      level: 'info',
      context: 'InboxConsumer',
      orderId: 'o-1',
      eventId: 'e-1',
      eventType: 'OrderPlaced',
      correlationId: 'c-1',
      traceId: 'a'.repeat(32),
      outcome: 'applied',
      topic: 'orders.events',
      partition: 2,
      offset: '7',
      msg: 'OrderPlaced applied',
    });
    expect(lines[1]).toMatchObject({ outcome: 'duplicate', msg: 'OrderPlaced already applied: skipped' });
    expect(lines[1]).not.toHaveProperty('traceId');
  });

  it("reads a message's trace id from its traceparent header when tracing is off here", () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(messageTraceId({ traceparent: Buffer.from(`00-${traceId}-00f067aa0ba902b7-01`) })).toBe(traceId);
    expect(messageTraceId({ traceparent: [Buffer.from(`00-${traceId}-00f067aa0ba902b7-00`)] })).toBe(traceId);
    expect(messageTraceId({ traceparent: Buffer.from(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`) })).toBeUndefined();
    expect(messageTraceId({ traceparent: Buffer.from('garbage') })).toBeUndefined();
    expect(messageTraceId({})).toBeUndefined();
  });

  it('LOG_FORMAT=pretty without pino-pretty (the Docker image) is refused; auto falls back to JSON', () => {
    jest.isolateModules(() => {
      jest.doMock('pino-pretty', () => {
        throw new Error("Cannot find module 'pino-pretty'");
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('./service-logger') as typeof import('./service-logger');
      expect(() => isolated.createServiceLogger('orders', { LOG_LEVEL: 'log', LOG_FORMAT: 'pretty' })).toThrow(isolated.LogFormatError);
      const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      try {
        expect(isolated.createServiceLogger('orders', { LOG_LEVEL: 'log', LOG_FORMAT: 'auto' }).isLevelEnabled('info')).toBe(true);
      } finally {
        if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
        else delete (process.stdout as { isTTY?: boolean }).isTTY;
      }
    });
    expect(new LogFormatError('x')).toBeInstanceOf(Error);
  });
});
