import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SagaStack, waitUntil } from '@app/testing';
import { address, SagaClient } from './saga-client';

/** A span as received, from either exporter. */
interface Received {
  traceId: string;
  id: string;
  parentId?: string;
  kind?: string;
  name: string;
  service: string;
  tags: Record<string, string>;
}

const OTLP_KINDS: Record<number, string | undefined> = { 2: 'SERVER', 3: 'CLIENT', 4: 'PRODUCER', 5: 'CONSUMER' };
type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
const otlpValue = (v: OtlpValue) => String(v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue);

/**
 * A trace receiver as small as the test needs: Zipkin's v2 JSON API (POST /api/v2/spans) and OTLP/HTTP with
 * JSON (POST /v1/traces), every span kept in one list.
 */
async function startReceiver() {
  const spans: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
      if (req.url === '/api/v2/spans') {
        for (const s of body)
          spans.push({
            traceId: s.traceId,
            id: s.id,
            parentId: s.parentId,
            kind: s.kind,
            name: s.name,
            service: s.localEndpoint.serviceName,
            tags: s.tags ?? {},
          });
      } else if (req.url === '/v1/traces') {
        for (const rs of body.resourceSpans) {
          const service = otlpValue(rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name').value);
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) {
              const tags = Object.fromEntries((s.attributes ?? []).map((a: { key: string; value: OtlpValue }) => [a.key, otlpValue(a.value)]));
              spans.push({ traceId: s.traceId, id: s.spanId, parentId: s.parentSpanId || undefined, kind: OTLP_KINDS[s.kind], name: s.name, service, tags });
            }
        }
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { spans, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('tracing: one trace per order across the three services (processes, real broker, exported spans)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stack: SagaStack;
  let api: SagaClient;

  beforeAll(async () => {
    receiver = await startReceiver();
    const common = { OTEL_BSP_SCHEDULE_DELAY: '100' };
    // orders exports over OTLP/HTTP (JSON), inventory and shipping to Zipkin: both exporters, one trace
    const zipkin = { ...common, OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${receiver.base}/api/v2/spans` };
    stack = await SagaStack.start({
      orders: { ...common, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      inventory: zipkin,
      shipping: zipkin,
    });
    api = new SagaClient(stack);
    await api.product('TR-1', 1200, 10);
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('POST /orders → its transaction → relay PRODUCER → CONSUMER → its own outbox rows → ..., each hop parented by the span that wrote the row', async () => {
    const placed = await api.place({ customerId: 'traced', lines: [{ sku: 'TR-1', quantity: 1 }], shippingAddress: address('DE') });
    expect(placed.status).toBe(202);
    const orderId = placed.body.id;
    expect((await api.settle(orderId)).status).toBe('CONFIRMED');

    const hop = (kind: string, service: string, type: string) => (s: Received) => s.kind === kind && s.service === service && s.tags['event.type'] === type;
    const expected = [
      hop('PRODUCER', 'orders', 'OrderPlaced'),
      hop('CONSUMER', 'inventory', 'OrderPlaced'),
      hop('CONSUMER', 'shipping', 'OrderPlaced'),
      hop('PRODUCER', 'inventory', 'StockReserved'),
      hop('CONSUMER', 'orders', 'StockReserved'),
      hop('CONSUMER', 'shipping', 'StockReserved'),
      hop('PRODUCER', 'shipping', 'ShipmentScheduled'),
      hop('CONSUMER', 'orders', 'ShipmentScheduled'),
      hop('CONSUMER', 'inventory', 'ShipmentScheduled'),
    ];
    const traceOf = () => {
      const first = receiver.spans.find((s) => s.kind === 'PRODUCER' && s.tags['order.id'] === orderId);
      return first ? receiver.spans.filter((s) => s.traceId === first.traceId) : [];
    };
    const spans = await waitUntil('every hop of the order to be exported', () => {
      const found = traceOf();
      return expected.every((match) => found.some(match)) ? found : null;
    });
    const one = (match: (s: Received) => boolean) => {
      const all = spans.filter(match);
      expect(all).toHaveLength(1);
      return all[0];
    };
    const byId = new Map(spans.map((s) => [s.id, s]));
    const parentOf = (s: Received) => byId.get(s.parentId!);

    // one trace, three services, one root: the request
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['orders', 'inventory', 'shipping']));
    const roots = spans.filter((s) => !s.parentId);
    expect(roots.map((s) => [s.service, s.kind, s.name, s.tags['http.route']])).toEqual([['orders', 'SERVER', 'POST /orders', '/orders']]);
    const request = roots[0];

    // every consumer span is a child of the relay's PRODUCER span of the same event, in another service
    for (const consumer of spans.filter((s) => s.kind === 'CONSUMER')) {
      const producer = parentOf(consumer)!;
      expect({ consumer: consumer.name, parent: producer?.kind, event: producer?.tags['messaging.message.id'] }).toEqual({
        consumer: consumer.name,
        parent: 'PRODUCER',
        event: consumer.tags['messaging.message.id'],
      });
      expect(producer.service).not.toBe(consumer.service);
      expect(consumer.tags['consumer.outcome']).toBe('applied');
    }
    // and every PRODUCER span is a child of the span that wrote its outbox row
    expect(parentOf(one(hop('PRODUCER', 'orders', 'OrderPlaced')))).toBe(request);
    expect(parentOf(one(hop('PRODUCER', 'inventory', 'StockReserved')))).toBe(one(hop('CONSUMER', 'inventory', 'OrderPlaced')));
    const scheduledBy = parentOf(one(hop('PRODUCER', 'shipping', 'ShipmentScheduled')))!;
    expect([scheduledBy.service, scheduledBy.kind]).toEqual(['shipping', 'CONSUMER']); // the event that completed shipping's facts

    // the transactions, from the pg instrumentation: the request's statements under the request, a handler's under its event
    const statementsUnder = (parent: Received) =>
      spans.filter((s) => s.kind === 'CLIENT' && s.parentId === parent.id && /postgres/.test(s.tags['db.system'] ?? s.tags['db.system.name']));
    expect(statementsUnder(request).length).toBeGreaterThan(0);
    expect(statementsUnder(one(hop('CONSUMER', 'inventory', 'OrderPlaced'))).length).toBeGreaterThan(0);
    // probes and scrapes are not traced
    expect(
      receiver.spans.filter((s) => s.kind === 'SERVER' && /health|metrics/.test(`${s.name} ${s.tags['url.path'] ?? s.tags['http.target'] ?? ''}`)),
    ).toEqual([]);
  });

  it('a bad OTEL_ value stops a service at start, naming it', () => {
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '..', 'dist', 'apps', 'orders', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_SAMPLER_ARG: '2' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid configuration (3 problems)');
    expect(r.stderr).toContain('OTEL_TRACES_EXPORTER must be otlp, zipkin or none (got "jaeger")');
    expect(r.stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL must be http/json');
    expect(r.stderr).toContain('OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1');
  });
});
