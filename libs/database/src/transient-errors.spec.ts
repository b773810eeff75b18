import { isTransientDatabaseError } from './transient-errors';

describe('isTransientDatabaseError', () => {
  it('retries what a later attempt can get past: a lost or ended session, a deadlock, a serialization failure', () => {
    for (const code of ['25P03', '40001', '40P01', '57P01', '08006', 'ECONNRESET']) expect(isTransientDatabaseError({ code })).toBe(true);
    // a server that takes no writes for now (a failover), a network or name service that is down for now
    for (const code of ['25006', 'ENETUNREACH', 'EAI_AGAIN']) expect(isTransientDatabaseError({ code })).toBe(true);
    // TypeORM wraps the driver's error
    expect(isTransientDatabaseError({ message: 'query failed', driverError: { code: '25P03' } })).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not retry forever what will fail the same way again', () => {
    for (const code of ['23505', '22P02', '42P01']) expect(isTransientDatabaseError({ code })).toBe(false);
    expect(isTransientDatabaseError(new Error('Query runner already released. Cannot run queries anymore.'))).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
  });

  it('knows nothing of Kafka: its errors are for the messaging library to judge', () => {
    expect(isTransientDatabaseError(Object.assign(new Error('broker gone'), { name: 'KafkaJSConnectionError' }))).toBe(false);
  });
});
