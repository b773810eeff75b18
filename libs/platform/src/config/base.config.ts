import { ArrayMinSize, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ToBool, ToInt, ToList } from './transforms';

/**
 * Settings every service reads from its environment; see .env.example. A service's own config
 * class extends this one. Property names are the variable names.
 */
export class BaseConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @ToInt()
  @IsInt({ message: 'PORT must be a TCP port number' })
  @Min(1)
  @Max(65535)
  PORT: number;

  @Matches(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+/, { message: 'DATABASE_URL must be a postgres://user@host:port/database URL' })
  DATABASE_URL: string;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  DB_POOL_SIZE = 10;

  /** Statements with parameters run as named prepared statements (off behind a pooler that cannot keep them). */
  @ToBool()
  @IsBoolean({ message: 'DB_PREPARED_STATEMENTS must be true or false' })
  DB_PREPARED_STATEMENTS = true;

  /**
   * BEGIN and writes whose answer nobody reads wait in the client and go out with the next statement that
   * needs an answer, or the COMMIT: one round trip where there were several (off: one per statement).
   */
  @ToBool()
  @IsBoolean({ message: 'DB_PIPELINE_TRANSACTIONS must be true or false' })
  DB_PIPELINE_TRANSACTIONS = true;

  /**
   * PostgreSQL ends a session of this pool that sits in an open transaction this long without sending a
   * statement (a frozen or cut-off process), so its row locks (a product's stock row) are not held until
   * TCP notices; the transaction rolls back (a consumer handles the event again). 0: not sent, the server's setting applies.
   */
  @ToInt()
  @IsInt({ message: 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(0, { message: 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be 0 (off) or more' })
  @Max(3_600_000, { message: 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be at most 3600000 (one hour)' })
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

  /**
   * PostgreSQL cancels a statement of this pool that runs (or waits for a lock) this long: a runaway query
   * or one queued behind a stuck session fails (and is retried: a consumer handles the event again, an
   * HTTP request gets 503) instead of holding its connection and locks; one that always takes longer fails
   * every time. Migrations are exempt. 0: not sent.
   */
  @ToInt()
  @IsInt({ message: 'DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(0, { message: 'DB_STATEMENT_TIMEOUT_MS must be 0 (off) or more' })
  @Max(3_600_000, { message: 'DB_STATEMENT_TIMEOUT_MS must be at most 3600000 (one hour)' })
  DB_STATEMENT_TIMEOUT_MS = 30_000;

  @ToList()
  @ArrayMinSize(1, { message: 'KAFKA_BROKERS must list at least one host:port' })
  @Matches(/^[^\s:,]+:\d{1,5}$/, { each: true, message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS: string[];

  @IsOptional()
  @Matches(/^[a-zA-Z0-9._-]{0,100}$/, { message: 'KAFKA_TOPIC_PREFIX may only hold letters, digits, dots, dashes and underscores' })
  KAFKA_TOPIC_PREFIX = '';

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 6;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10)
  KAFKA_REPLICATION_FACTOR = 1;

  @ToInt()
  @IsInt()
  @Min(6000)
  @Max(300000)
  KAFKA_SESSION_TIMEOUT_MS = 30000;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  CONSUMER_CONCURRENCY = 3;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(60000)
  CONSUMER_COMMIT_INTERVAL_MS = 1000;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CONSUMER_BATCH_SIZE = 50;

  /**
   * Longer than an event can stay readable: Kafka deletes whole segments, so up to the topic's retention
   * plus its segment roll time (168 h + 168 h by default). Shorter, and a re-read could apply an event twice.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(87600)
  INBOX_RETENTION_HOURS = 360;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1024)
  OUTBOX_LANES = 16;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10000)
  OUTBOX_BATCH_SIZE = 500;

  @ToInt()
  @IsInt()
  @Min(10)
  @Max(60000)
  OUTBOX_POLL_INTERVAL_MS = 1000;

  @ToInt()
  @IsInt()
  @Min(1000)
  OUTBOX_BACKLOG_MAX_AGE_MS = 60000;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(300000)
  SHUTDOWN_TIMEOUT_MS = 15000;

  @IsString()
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  /** Run only this service's outbox relay (no HTTP, no consumers): a relay scaled on its own. */
  @ToBool()
  @IsBoolean({ message: 'RELAY_ONLY must be true or false' })
  RELAY_ONLY = false;
}
