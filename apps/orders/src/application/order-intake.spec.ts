import { DataSource } from 'typeorm';
import { OrderPlacedV1 } from '@app/contracts';
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
    const intake = new OrderIntake(dataSource, {} as OrdersRepository, {} as Outbox, { concurrency: 1, maxBatch: 64 });
    const outcomes = await placeBehindOne(intake, 10);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason === down)).toBe(true);
    expect(tried.transactions).toBe(2); // the first order's, then the batch's: no order retried alone
  });

  it('a batch the database refuses for its data is tried again order by order', async () => {
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const { dataSource, tried } = failingDataSource(refused);
    const intake = new OrderIntake(dataSource, {} as OrdersRepository, {} as Outbox, { concurrency: 1, maxBatch: 64 });
    const outcomes = await placeBehindOne(intake, 10);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason === refused)).toBe(true);
    expect(tried.transactions).toBe(1 + 1 + 10);
    expect(intake.stats.batchesSplit).toBe(1);
  });
});
