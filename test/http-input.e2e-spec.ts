import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import { ADMIN_TOKEN, query, SagaStack } from '@app/testing';
import { address, FINAL, SagaClient } from './saga-client';

const line = (sku = 'IN-PLENTY', quantity = 1) => ({ sku, quantity });
const valid = () => ({ customerId: 'ada', lines: [line()], shippingAddress: address('DE') });
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** Bad input over HTTP: a 400 naming the problem that writes nothing, never a 500 or an order that cannot complete. */
describe('HTTP input, end to end', () => {
  let stack: SagaStack;
  let api: SagaClient;
  const ordersInDatabase = async () => (await query(stack.databaseUrl('orders'), 'SELECT id FROM orders')).map((r) => r.id as string);

  beforeAll(async () => {
    stack = await SagaStack.start();
    api = new SagaClient(stack);
    await api.product('IN-PLENTY', 250, 100_000);
    await api.product('IN-SCARCE', 1000, 40);
    await api.product('IN-NONE', 500, 0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['an array for the address', { shippingAddress: [] }, 'shippingAddress must be an object'],
    ['nested arrays for the address', { shippingAddress: [[[]]] }, 'shippingAddress must be an object'],
    ['no address', { shippingAddress: undefined }, 'shippingAddress is required'],
    ['an array for a line', { lines: [[]] }, 'each item of lines must be an object'],
    ['an object for the lines', { lines: { 0: line() } }, 'lines must be an array'],
    ['no lines', { lines: [] }, 'lines must hold at least one line'],
  ])('%s: 400 naming the field, nothing written', async (_what, patch, message) => {
    const before = await ordersInDatabase();
    const res = await api.place({ ...valid(), ...patch });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.arrayContaining([expect.stringContaining(message)]) });
    expect(await ordersInDatabase()).toEqual(before);
  });

  describe('a body nested 2,000 levels deep is a 400 naming the limit, on every write', () => {
    const post = (service: 'orders' | 'inventory', path: string, method = 'POST', headers: Record<string, string> = {}) =>
      api.json(service, path, { method, headers, body: deep(2000) });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    it.each([
      ['POST /orders', () => post('orders', '/orders')],
      ['POST /orders/:id/cancel', () => post('orders', `/orders/${randomUUID()}/cancel`)],
      ['POST /orders/:id/cancel with an id that is no uuid', () => post('orders', '/orders/nope/cancel')],
      ['PUT /products/:sku', () => post('inventory', '/products/IN-DEEP', 'PUT', admin)],
      ['POST /products/:sku/stock', () => post('inventory', '/products/IN-PLENTY/stock', 'POST', admin)],
    ])('%s', async (_route, send) => {
      const res = await send();
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'BODY_TOO_DEEP', message: expect.stringContaining('deeper than 32 levels') });
    });

    it('1,000 levels too, and a shallow body still works', async () => {
      expect((await api.json('orders', '/orders', { method: 'POST', body: deep(1000) })).body.code).toBe('BODY_TOO_DEEP');
      expect((await api.place(valid())).status).toBe(202);
    });
  });

  it('property: every 202 order ends CONFIRMED, REJECTED or FAILED (never cancelled by the system); every other answer is a 4xx that wrote nothing', async () => {
    const accepted: string[] = [];
    const before = new Set(await ordersInDatabase());
    // each field is good most of the time and wrong in one of many ways otherwise, so that about a third of
    // the bodies are valid and the rest are wrong in one place or a few
    const mostly = <T>(good: fc.Arbitrary<T>, ...wrong: fc.Arbitrary<unknown>[]) => fc.oneof({ weight: 12 * wrong.length, arbitrary: good }, ...wrong);
    const text = (good: fc.Arbitrary<string>) =>
      mostly(good, fc.constant(''), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('a\u0000b', '\ud800', 'x'.repeat(201)), fc.integer(), fc.constant(null));
    const skuArb = mostly(fc.constantFrom('IN-PLENTY', 'IN-PLENTY', 'IN-SCARCE', 'IN-NONE', 'IN-UNKNOWN'), fc.constantFrom('in-plenty', 'X', '-AB', ''), fc.integer());
    const quantityArb = mostly(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, -1, 1.5, 1001, '1', null));
    const lineArb = mostly(
      fc.record({ sku: skuArb, quantity: quantityArb }),
      fc.record({ sku: skuArb, quantity: quantityArb }, { requiredKeys: [] }),
      fc.record({ sku: skuArb, quantity: quantityArb, extra: fc.string() }),
      fc.constantFrom(null, 'line', [], [[]], 7),
    );
    const addressArb = mostly(
      fc.record(
        {
          name: text(fc.constant('Ada')),
          line1: text(fc.constant('Main St 1')),
          line2: text(fc.constant('Floor 2')),
          city: text(fc.constant('Berlin')),
          postalCode: text(fc.constant('10115')),
          country: mostly(fc.constantFrom('DE', 'FR', 'NL', 'US'), fc.constantFrom('Germany', 'de', '', 'ZZ', 'DEU')),
        },
        { requiredKeys: ['name', 'line1', 'city', 'postalCode', 'country'] },
      ),
      fc.record({ name: fc.constant('Ada'), city: fc.constant('Berlin') }),
      fc.constantFrom([], [[[]]], null, 'Berlin', 42, {}),
    );
    const linesArb = mostly(fc.array(lineArb, { minLength: 1, maxLength: 3 }), fc.array(lineArb, { minLength: 51, maxLength: 55 }), fc.constantFrom([], {}, null, 'lines', [[]]));
    const bodyArb = mostly(
      fc.record({ customerId: text(fc.constantFrom('ada', 'bob')), lines: linesArb, shippingAddress: addressArb }),
      fc.record({ customerId: text(fc.constant('ada')), lines: linesArb, shippingAddress: addressArb, unexpected: fc.string() }, { requiredKeys: [] }),
      fc.constantFrom(null, [], 'order', 42, true),
    );

    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    const runs = Number(process.env.FC_RUNS ?? 2000);
    const answers = new Map<number, number>();
    const db = new Client({ connectionString: stack.databaseUrl('orders') });
    await db.connect();
    const count = async (): Promise<number> => (await db.query('SELECT count(*)::int AS n FROM orders')).rows[0].n;
    await fc.assert(
      fc.asyncProperty(bodyArb, async (body) => {
        const before = await count();
        const res = await api.place(body as object);
        answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
        const after = await count();
        if (res.status === 202) {
          accepted.push(res.body.id);
          return after === before + 1;
        }
        return res.status >= 400 && res.status < 500 && typeof res.body.code === 'string' && after === before;
      }),
      { numRuns: runs, seed, endOnFailure: true },
    )
      .catch((err: Error) => {
        throw new Error(`property failed with FC_SEED=${seed} (rerun with that variable to reproduce): ${err.message}`);
      })
      .finally(() => db.end());
    // both sides of the property were exercised, each by at least a tenth of the bodies
    expect(answers.get(202)).toBeGreaterThan(runs / 10);
    expect(answers.get(400)).toBeGreaterThan(runs / 10);

    const posted = Date.now();
    const finals: Record<string, number> = {};
    for (const id of accepted) {
      const order = await api.settle(id, FINAL, 120_000);
      finals[order.status] = (finals[order.status] ?? 0) + 1;
      if (order.status === 'CANCELLED') throw new Error(`order ${id} was cancelled: ${order.statusReason} (FC_SEED=${seed})`);
    }
    process.stderr.write(`property: ${runs} bodies (seed ${seed}): answers ${JSON.stringify(Object.fromEntries(answers))}, final ${JSON.stringify(finals)}, settled in ${Date.now() - posted} ms\n`);
    expect(finals.CONFIRMED).toBeGreaterThan(0);
    const written = (await ordersInDatabase()).filter((id) => !before.has(id));
    expect(new Set(written)).toEqual(new Set(accepted));
  });
});
