import { DataSource } from 'typeorm';
import { IntakeOverloaded, OrderPlacedV1 } from '@app/contracts';
import { Outbox } from '@app/messaging';
import { OrdersRepository } from '../persistence/orders.repository';
import { OrderIntake, Placement } from './order-intake';

/** A data source whose every transaction fails with `error`, counting the transactions tried. */
function failingDataSource(error: Error) {
  const tried = { transactions: 0 };
  const dataSource = {
    transaction: async () => {
      tried.transactions++;
      throw error;
    },
  } as unknown as DataSource;
  return { dataSource, tried };
}

const placement = (i: number) => ({ order: { id: `o-${i}` }, event: new OrderPlacedV1() }) as unknown as Placement;

/** One order starts a transaction at once; the next `n` wait and go together in the next one. */
async function placeBehindOne(intake: OrderIntake, n: number) {
  const first = intake.place(placement(0));
  const rest = Array.from({ length: n }, (_, i) => intake.place(placement(i + 1)));
  return Promise.allSettled([first, ...rest]);
}

describe('OrderIntake failure policy', () => {
  it('the database unreachable fails a whole batch at once, each order with the error', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { dataSource, tried } = failingDataSource(down);
    const intake = new OrderIntake(dataSource, {} as OrdersRepository, {} as Outbox, { concurrency: 1, maxBatch: 64, waitTimeoutMs: 5000 });
    const outcomes = await placeBehindOne(intake, 10);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason === down)).toBe(true);
    expect(tried.transactions).toBe(2); // the first order's, then the batch's: no order retried alone
  });

  it('a batch the database refuses for its data is tried again order by order', async () => {
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const { dataSource, tried } = failingDataSource(refused);
    const intake = new OrderIntake(dataSource, {} as OrdersRepository, {} as Outbox, { concurrency: 1, maxBatch: 64, waitTimeoutMs: 5000 });
    const outcomes = await placeBehindOne(intake, 10);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason === refused)).toBe(true);
    expect(tried.transactions).toBe(1 + 1 + 10);
    expect(intake.stats.batchesSplit).toBe(1);
  });

  it('an order that cannot start its transaction in time (every transaction stuck) fails as DATABASE_BUSY; the stuck one is not answered', async () => {
    let started = 0;
    const stalled = { transaction: () => (started++, new Promise(() => {})) } as unknown as DataSource;
    const intake = new OrderIntake(stalled, {} as OrdersRepository, {} as Outbox, { concurrency: 1, maxBatch: 64, waitTimeoutMs: 50 });
    let firstSettled = false;
    void intake.place(placement(0)).finally(() => (firstSettled = true));
    const second = await intake.place(placement(1)).catch((err) => err);
    expect(second).toBeInstanceOf(IntakeOverloaded);
    expect(second).toMatchObject({ code: 'DATABASE_BUSY', waitedMs: 50 });
    expect(intake.stats.timedOut).toBe(1);
    expect(started).toBe(1); // the waiting order never reached the database
    expect(firstSettled).toBe(false);
  });
});
