import { DataSource, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { MessagingOptions } from '../messaging.options';
import { OUTBOX_ENQUEUED, OUTBOX_NOTIFIED } from '../outbox/outbox.service';
import { OutboxRelayService } from './outbox-relay.service';

const options: MessagingOptions = {
  service: 'unit',
  brokers: ['127.0.0.1:9'],
  topicPrefix: '',
  topicPartitions: 1,
  replicationFactor: 1,
  databaseUrl: 'postgres://127.0.0.1:9/unit',
  outbox: { lanes: 4, batchSize: 10, pollIntervalMs: 1000, backlogMaxAgeMs: 60_000 },
  inbox: { retentionHours: 192 },
  consumer: { concurrency: 1, sessionTimeoutMs: 10_000, commitIntervalMs: 1000, batchSize: 50 },
};

/** `still`: the transaction goes on (TypeORM reports a nested transaction's savepoint like a commit or rollback). */
function commitOf(data: Record<string, unknown>, still = false): TransactionCommitEvent {
  return { queryRunner: { data, isTransactionActive: still } } as unknown as TransactionCommitEvent;
}
const rollbackOf = (data: Record<string, unknown>, still = false) => commitOf(data, still) as unknown as TransactionRollbackEvent;

describe('OutboxRelayService wakes its relay on local commits', () => {
  const dataSource = { subscribers: [] as unknown[] } as unknown as DataSource;
  const service = new OutboxRelayService(options, dataSource);
  const wake = jest.spyOn(service.relay, 'wake').mockImplementation(() => {});

  beforeEach(() => wake.mockClear());

  it('subscribes to the data source', () => {
    expect(dataSource.subscribers).toContain(service);
  });

  it('wakes the relay once after a transaction that enqueued events commits, naming that transaction', () => {
    const data: Record<string, unknown> = { [OUTBOX_ENQUEUED]: '4294967302' };
    service.afterTransactionCommit(commitOf(data));
    expect(wake).toHaveBeenCalledTimes(1);
    expect(wake).toHaveBeenCalledWith(4294967302n);
    // the flag is consumed: a later commit on the same query runner without new events does not wake it
    service.afterTransactionCommit(commitOf(data));
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it('waits for the outermost commit: a released savepoint neither wakes the relay nor spends the flag', () => {
    const data: Record<string, unknown> = { [OUTBOX_ENQUEUED]: '42', [OUTBOX_NOTIFIED]: true };
    service.afterTransactionCommit(commitOf(data, true));
    expect(wake).not.toHaveBeenCalled();
    expect(data).toEqual({ [OUTBOX_ENQUEUED]: '42', [OUTBOX_NOTIFIED]: true });
    service.afterTransactionCommit(commitOf(data));
    expect(wake).toHaveBeenCalledWith(42n);
    expect(data).toEqual({});
  });

  it('forgets the NOTIFY after a savepoint rolled back, and every flag after the transaction rolled back', () => {
    const data: Record<string, unknown> = { [OUTBOX_ENQUEUED]: true, [OUTBOX_NOTIFIED]: true };
    service.afterTransactionRollback(rollbackOf(data, true));
    expect(data).toEqual({ [OUTBOX_ENQUEUED]: true });
    service.afterTransactionRollback(rollbackOf(data));
    expect(data).toEqual({});
    expect(wake).not.toHaveBeenCalled();
  });

  it('does not wake the relay for a transaction that enqueued nothing', () => {
    service.afterTransactionCommit(commitOf({}));
    expect(wake).not.toHaveBeenCalled();
  });
});
