import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { OUTBOX_ENQUEUED, OUTBOX_NOTIFIED, OutboxWakePolicy } from '../outbox/outbox.service';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { OutboxBacklog } from './outbox-backlog';
import { OutboxRelay } from './outbox-relay';
import { createOutboxRelay } from './relay-factory';
import { parseXid } from './snapshot';

/**
 * Runs the outbox relay inside the service: started on bootstrap, flushed and stopped on shutdown.
 * It also listens to this process's TypeORM commits: a transaction that enqueued events wakes the
 * relay as soon as it committed. Commits NOTIFY only while other relays run over the same outbox
 * (replicas, RELAY_ONLY instances), whose lanes this process's wake cannot reach; both wakes name the
 * transaction, so the relay claims once per commit, not once per wake.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown, EntitySubscriberInterface, OutboxWakePolicy {
  readonly relay: OutboxRelay;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly dataSource: DataSource,
  ) {
    this.relay = createOutboxRelay(options);
    dataSource.subscribers.push(this);
  }

  notifyOtherRelays(): boolean {
    return !this.relay.alone();
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // TypeORM reports a nested transaction's RELEASE SAVEPOINT as a commit too, but its rows become visible
    // only with the outermost COMMIT: a wake now would claim before them and, spent, leave them to the poll
    if (event.queryRunner.isTransactionActive) return;
    const data = event.queryRunner.data as Record<string, unknown>;
    const enqueued = data[OUTBOX_ENQUEUED];
    // the transaction is over: a later one on the same query runner starts with no flags
    delete data[OUTBOX_ENQUEUED];
    delete data[OUTBOX_NOTIFIED];
    if (enqueued) this.relay.wake(parseXid(enqueued));
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const data = event.queryRunner.data as Record<string, unknown>;
    // A savepoint rolled back (the transaction goes on) discarded any NOTIFY queued inside it: the next
    // enqueue of this transaction must queue one again (PostgreSQL delivers identical ones only once).
    // Its outbox rows are gone too, but the wake flag stays: rows enqueued before the savepoint may remain,
    // and a wake for none costs one empty claim. The whole transaction rolled back: no flags remain.
    delete data[OUTBOX_NOTIFIED];
    if (!event.queryRunner.isTransactionActive) delete data[OUTBOX_ENQUEUED];
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop(3000);
  }

  backlog(): Promise<OutboxBacklog> {
    return OutboxRelay.backlog((sql) => this.dataSource.query(sql));
  }
}
