import { isTransientError, isTransientKafkaError } from './errors';

// The database half has its own spec (libs/database); this one checks the two halves are combined.
describe('isTransientError', () => {
  it('retries a database failure a later attempt can get past (the database half)', () => {
    expect(isTransientError({ code: '40P01' })).toBe(true);
    expect(isTransientError({ message: 'query failed', driverError: { code: '25P03' } })).toBe(true);
  });

  it('retries a Kafka failure (every kafkajs error), and only that is the Kafka half', () => {
    const kafka = Object.assign(new Error('broker gone'), { name: 'KafkaJSConnectionError' });
    expect(isTransientError(kafka)).toBe(true);
    expect(isTransientKafkaError(kafka)).toBe(true);
    expect(isTransientKafkaError({ code: '40P01' })).toBe(false);
    expect(isTransientKafkaError(undefined)).toBe(false);
  });

  it('does not retry what will fail the same way again', () => {
    expect(isTransientError({ code: '23505' })).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });
});
