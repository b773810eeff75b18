import { BaseConfig } from './base.config';
import { ConfigError, loadConfig } from './load-config';
import { messagingOptionsFrom } from './messaging-options';

class TestConfig extends BaseConfig {
  override PORT = 3000;
}

const GOOD = { DATABASE_URL: 'postgres://u@h:5432/db', KAFKA_BROKERS: 'a:9092, b:9093' };

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const config = loadConfig(TestConfig, { ...GOOD, OUTBOX_LANES: '32' });
    expect(config.PORT).toBe(3000);
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.OUTBOX_LANES).toBe(32);
    expect(config.KAFKA_TOPIC_PREFIX).toBe('');
  });

  it('keeps only declared settings, not the whole environment', () => {
    expect(Object.keys(loadConfig(TestConfig, { ...GOOD, HOME: '/home/someone' }))).not.toContain('HOME');
  });

  it('names every bad variable in one error, one line each', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(TestConfig, { DATABASE_URL: 'mysql://x', PORT: '70000', LOG_LEVEL: 'loud', LOG_FORMAT: 'xml' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(5);
    expect(error!.message).toMatch(/DATABASE_URL must be a postgres:\/\/.*\(got "mysql:\/\/x"\)/);
    expect(error!.message).toMatch(/KAFKA_BROKERS is not set/);
    expect(error!.message).toMatch(/PORT must not be greater than 65535 \(got "70000"\)/);
    expect(error!.message).toMatch(/LOG_LEVEL must be one of error, warn, log, debug, verbose \(got "loud"\)/);
    expect(error!.message).toMatch(/LOG_FORMAT must be auto, json or pretty \(got "xml"\)/);
  });

  it('KAFKA_MIN_INSYNC_REPLICAS follows the replication factor unless set, and may not exceed it', () => {
    const minIsr = (env: Record<string, string>) => messagingOptionsFrom('probe', loadConfig(TestConfig, { ...GOOD, ...env })).minInsyncReplicas;
    expect(minIsr({})).toBe(1);
    expect(minIsr({ KAFKA_REPLICATION_FACTOR: '2' })).toBe(1);
    expect(minIsr({ KAFKA_REPLICATION_FACTOR: '3' })).toBe(2);
    expect(minIsr({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '3' })).toBe(3);
    expect(() => loadConfig(TestConfig, { ...GOOD, KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(
      'KAFKA_MIN_INSYNC_REPLICAS must be at most KAFKA_REPLICATION_FACTOR (1) (got "2")',
    );
  });

  it('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS defaults to 30 s and refuses a value that is not a whole number of milliseconds', () => {
    expect(loadConfig(TestConfig, GOOD).DB_IDLE_IN_TRANSACTION_TIMEOUT_MS).toBe(30_000);
    expect(() => loadConfig(TestConfig, { ...GOOD, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5s' })).toThrow(
      /DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be a whole number of milliseconds \(got "5s"\)/,
    );
    expect(() => loadConfig(TestConfig, { ...GOOD, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-1' })).toThrow(
      /DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be 0 \(off\) or more/,
    );
  });

  it('DB_STATEMENT_TIMEOUT_MS defaults to 30 s and refuses a value that is not a whole number of milliseconds', () => {
    expect(loadConfig(TestConfig, GOOD).DB_STATEMENT_TIMEOUT_MS).toBe(30_000);
    expect(loadConfig(TestConfig, { ...GOOD, DB_STATEMENT_TIMEOUT_MS: '0' }).DB_STATEMENT_TIMEOUT_MS).toBe(0);
    expect(() => loadConfig(TestConfig, { ...GOOD, DB_STATEMENT_TIMEOUT_MS: '30s' })).toThrow(
      /DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds \(got "30s"\)/,
    );
    expect(() => loadConfig(TestConfig, { ...GOOD, DB_STATEMENT_TIMEOUT_MS: '4000000' })).toThrow(/DB_STATEMENT_TIMEOUT_MS must be at most 3600000/);
  });
});
