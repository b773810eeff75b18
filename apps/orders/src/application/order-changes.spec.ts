import type { DataSource, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { fakeTransaction } from '@app/testing/fake-transaction';
import type { Order } from '../domain/order';
import { OrderChange, OrderChanges } from './order-changes';

const order = (id: string, status: Order['status']) => ({ id, status }) as Order;

/** The event TypeORM hands its subscribers for the transaction of `tx`; `still`: a savepoint, the transaction goes on. */
function ended(tx: ReturnType<typeof fakeTransaction>['tx'], still = false) {
  return { queryRunner: { data: tx.queryRunner!.data, isTransactionActive: still } } as unknown as TransactionCommitEvent & TransactionRollbackEvent;
}

describe('OrderChanges', () => {
  it('subscribes to the data source and tells its listeners after the outermost commit, in the order of the changes', () => {
    const dataSource = { subscribers: [] as unknown[] } as unknown as DataSource;
    const changes = new OrderChanges(dataSource);
    expect(dataSource.subscribers).toContain(changes);
    const told: OrderChange[][] = [];
    changes.listen((c) => told.push([...c]));

    const { tx } = fakeTransaction();
    changes.placed(tx, [order('a', 'PENDING'), order('b', 'PENDING')]);
    changes.moved(tx, 'PENDING', order('a', 'RESERVED'));
    changes.afterTransactionCommit(ended(tx, true)); // a savepoint released
    expect(told).toEqual([]);
    changes.afterTransactionCommit(ended(tx));
    expect(told).toEqual([
      [
        { order: order('a', 'PENDING'), before: null },
        { order: order('b', 'PENDING'), before: null },
        { order: order('a', 'RESERVED'), before: 'PENDING' },
      ],
    ]);
    // told once: the next transaction on the same runner starts empty
    changes.afterTransactionCommit(ended(tx));
    expect(told).toHaveLength(1);
  });

  it('forgets the changes of a rolled-back transaction', () => {
    const changes = new OrderChanges();
    const listener = jest.fn();
    changes.listen(listener);
    const { tx } = fakeTransaction();
    changes.moved(tx, 'RESERVED', order('a', 'CONFIRMED'));
    changes.afterTransactionRollback(ended(tx));
    changes.afterTransactionCommit(ended(tx));
    expect(listener).not.toHaveBeenCalled();
  });

  it('records nothing while nobody listens', () => {
    const changes = new OrderChanges();
    const { tx } = fakeTransaction();
    changes.placed(tx, [order('a', 'PENDING')]);
    expect(Object.getOwnPropertySymbols(tx.queryRunner!.data)).toEqual([]);
  });
});
