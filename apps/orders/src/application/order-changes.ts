import { Injectable, Optional } from '@nestjs/common';
import { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { Order, OrderStatus } from '../domain/order';

/** One order placed or moved by a committed transaction. */
export interface OrderChange {
  /** The order as saved. */
  order: Order;
  /** Its status when locked; null for an order just placed. */
  before: OrderStatus | null;
}

/** Told of the changes of each committed transaction, right after its COMMIT, in the order they were made. */
export type OrderChangeListener = (changes: readonly OrderChange[]) => void;

/** Where a transaction keeps its order changes until it commits. */
const CHANGES = Symbol('orders.changes');

/**
 * The orders service's own record of every order it places or moves (the intake, the events it applies, the
 * cancels), handed to listeners (the metrics, the board) once the transaction commits: a rolled-back one
 * tells nothing. In process and without a query: with no listener, recording is one length check.
 */
@Injectable()
export class OrderChanges implements EntitySubscriberInterface {
  private readonly listeners: OrderChangeListener[] = [];

  constructor(@Optional() dataSource?: DataSource) {
    dataSource?.subscribers.push(this);
  }

  listen(listener: OrderChangeListener): void {
    this.listeners.push(listener);
  }

  /** New orders written in `tx`. */
  placed(tx: EntityManager, orders: readonly Order[]): void {
    for (const order of orders) this.record(tx, { order, before: null });
  }

  /** `before` was the order's status when locked; `after` is the order as saved in `tx`. */
  moved(tx: EntityManager, before: OrderStatus, after: Order): void {
    this.record(tx, { order: after, before });
  }

  private record(tx: EntityManager, change: OrderChange): void {
    if (this.listeners.length === 0 || !tx.queryRunner) return;
    const data = tx.queryRunner.data as Record<symbol, OrderChange[] | undefined>;
    (data[CHANGES] ??= []).push(change);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) return; // a savepoint released: the outermost COMMIT tells
    const data = event.queryRunner.data as Record<symbol, OrderChange[] | undefined>;
    const changes = data[CHANGES];
    if (!changes) return;
    delete data[CHANGES];
    for (const listener of this.listeners) listener(changes);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete (event.queryRunner.data as Record<symbol, unknown>)[CHANGES];
  }
}
