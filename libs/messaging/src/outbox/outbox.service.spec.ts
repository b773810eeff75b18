import { randomUUID } from 'node:crypto';
import { OrderCancelledV1, OrderPlacedV1 } from '@app/contracts';
import { fakeTransaction } from '@app/testing/fake-transaction';
import { MessagingOptions } from '../messaging.options';
import { MAX_EVENT_BYTES, Outbox, OutboxValidationError } from './outbox.service';

const outbox = new Outbox({} as MessagingOptions, { notifyOtherRelays: () => false });
const context = () => ({ orderId: randomUUID(), correlationId: 'c-1' });
/** The payloads (JSON envelopes) of the enqueue statement. */
const payloads = (statements: { params: unknown[] }[]) => (statements[0].params[4] as string[]).map((p) => JSON.parse(p));

describe('Outbox.enqueue checks', () => {
  it('refuses an event whose data breaks its class rules, naming the problem, and writes nothing', async () => {
    const { tx, statements } = fakeTransaction();
    const data = Object.assign(new OrderCancelledV1(), { reason: 'x'.repeat(501) });
    await expect(outbox.enqueue(tx, [{ data, ...context() }])).rejects.toThrow(OutboxValidationError);
    await expect(outbox.enqueue(tx, [{ data, ...context() }])).rejects.toThrow(/reason/);
    expect(statements).toHaveLength(0);
  });

  it('writes a valid event with only its whitelisted fields', async () => {
    const { tx, statements } = fakeTransaction();
    const data = Object.assign(new OrderCancelledV1(), { reason: 'changed my mind', internal: 'not in the contract' });
    await outbox.enqueue(tx, [{ data, ...context() }]);
    expect(payloads(statements)[0].data).toEqual({ reason: 'changed my mind' });
  });

  it('does not check data the caller says was validated, as it is', async () => {
    const { tx, statements } = fakeTransaction();
    const lines = [{ sku: 'KB-001', quantity: 2 }];
    const address = { name: 'A', line1: 'B 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const data = Object.assign(new OrderPlacedV1(), { customerId: 'c-7', lines, shippingAddress: address });
    const [envelope] = await outbox.enqueue(tx, [{ data, ...context(), prevalidated: true }]);
    expect(envelope.data).toBe(data);
    expect(payloads(statements)[0]).toMatchObject({ type: 'OrderPlaced', version: 1, data: { customerId: 'c-7', lines, shippingAddress: address } });
  });

  it('still refuses an oversized or classless event the caller says was validated', async () => {
    const { tx, statements } = fakeTransaction();
    const huge = Object.assign(new OrderCancelledV1(), { reason: 'x'.repeat(MAX_EVENT_BYTES) });
    await expect(outbox.enqueue(tx, [{ data: huge, ...context(), prevalidated: true }])).rejects.toThrow(/bytes; the limit is/);
    await expect(outbox.enqueue(tx, [{ data: { reason: 'plain object' }, ...context(), prevalidated: true }])).rejects.toThrow(/not an event class/);
    expect(statements).toHaveLength(0);
  });
});
