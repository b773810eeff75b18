/**
 * The CPU of one event line, as a consumer writes it (JSON, synchronously, to a file), and of one below the
 * level: LOG_LINES lines (default 200,000) per LOG_LEVEL, 3 rounds each (docs/decisions/021).
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/log-line.bench.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { useServiceLog } from '@app/messaging';
import { eventLinesOn, messageTraceId, writeEventLine } from '@app/messaging/logging/service-log';
import { createServiceLogger } from '@app/platform/logging/service-logger';
import { progress, round, table } from './lib';

const LINES = Number(process.env.LOG_LINES ?? 200_000);
const envelope = {
  id: '78625d82-50db-4cdc-a129-4b6cf67a8b9b',
  type: 'StockReserved',
  version: 1,
  occurredAt: '2026-12-06T06:43:20.967Z',
  orderId: 'dadb0773-6545-4703-9e7c-77e569f0310a',
  correlationId: '8c4ff6a5-66de-492b-85aa-4c3281cf25d0',
  causationId: null,
  data: {},
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-bench-log-'));
const rows: (string | number)[][] = [['LOG_LEVEL', 'round', 'CPU µs/line', 'of it system µs', 'bytes/line']];
try {
  for (const level of ['warn', 'log']) {
    for (let r = 1; r <= 3; r++) {
      const file = path.join(dir, `${level}-${r}.log`);
      useServiceLog(createServiceLogger('inventory', { LOG_LEVEL: level, LOG_FORMAT: 'json' }, pino.destination({ dest: file, sync: true })));
      const before = process.cpuUsage();
      // as the inbox consumer does: the level checked first, the line built and written only when it is on
      for (let i = 0; i < LINES; i++) {
        if (eventLinesOn())
          writeEventLine({ envelope, traceId: messageTraceId({}), outcome: 'applied', topic: 'inventory.events', partition: 3, offset: String(i) });
      }
      const cpu = process.cpuUsage(before);
      const bytes = fs.existsSync(file) ? fs.statSync(file).size : 0;
      rows.push([level, r, round((cpu.user + cpu.system) / LINES, 2), round(cpu.system / LINES, 2), Math.round(bytes / LINES)]);
      progress(`LOG_LEVEL=${level} round ${r} done`);
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(table(rows));
