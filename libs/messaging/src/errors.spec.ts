import { isTransientError, isTransientKafkaError } from './errors';

describe('isTransientError', () => {
  it('retries what a later attempt can get past: a lost or ended session, a deadlock, a serialization failure', () => {
    for (const code of ['25P03', '40001', '40P01', '57P01', '08006', 'ECONNRESET']) expect(isTransientError({ code })).toBe(true);
    // a server that takes no writes for now (a failover), a network or name service that is down for now
    for (const code of ['25006', 'ENETUNREACH', 'EAI_AGAIN']) expect(isTransientError({ code })).toBe(true);
    // TypeORM wraps the driver's error
    expect(isTransientError({ message: 'query failed', driverError: { code: '25P03' } })).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('retries a Kafka failure (every kafkajs error), and only that is the Kafka half', () => {
    const kafka = Object.assign(new Error('broker gone'), { name: 'KafkaJSConnectionError' });
    expect(isTransientError(kafka)).toBe(true);
    expect(isTransientKafkaError(kafka)).toBe(true);
    expect(isTransientKafkaError({ code: '40P01' })).toBe(false);
    expect(isTransientKafkaError(undefined)).toBe(false);
  });

  it('does not retry forever what will fail the same way again', () => {
    for (const code of ['23505', '22P02', '42P01']) expect(isTransientError({ code })).toBe(false);
    expect(isTransientError(new Error('Query runner already released. Cannot run queries anymore.'))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });
});
