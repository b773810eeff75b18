import { ArrayMinSize, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Setting } from './setting';
import { AtMostSetting, ToBool, ToInt, ToList } from './transforms';

// with BaseConfig, so that an app's config class imports both from @app/platform
export { Setting, type SettingDoc } from './setting';

/**
 * Settings every service reads from its environment. A service's own config class extends this one.
 * Property names are the variable names. Each setting's `@Setting` text, its initialiser (the default)
 * and its validation decorators are the documentation: `npm run config:docs` writes .env.example and
 * docs/configuration.md from them.
 */
export class BaseConfig {
  @Setting({ doc: 'Runtime mode. The Docker image sets production.' })
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Setting({ doc: 'HTTP port of the service (GET /health/ready is served here).' })
  @ToInt()
  @IsInt({ message: 'PORT must be a TCP port number' })
  @Min(1)
  @Max(65535)
  PORT: number;

  @Setting({
    doc: `The service's own PostgreSQL database (orders, inventory or shipping) as postgres://user:password@host:port/database.
      npm start and docker compose set it per app.`,
    example: 'postgres://postgres:dev-only-postgres-password@localhost:5432/orders',
    secret: true,
  })
  @Matches(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+/, { message: 'DATABASE_URL must be a postgres://user@host:port/database URL' })
  DATABASE_URL: string;

  @Setting({ doc: "Maximum number of PostgreSQL connections in the service's pool." })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  DB_POOL_SIZE = 10;

  @Setting({
    doc: `Run statements with parameters as named prepared statements, parsed and planned once per connection. Turn off
      behind a connection pooler in transaction mode that cannot keep prepared statements.`,
  })
  @ToBool()
  @IsBoolean({ message: 'DB_PREPARED_STATEMENTS must be true or false' })
  DB_PREPARED_STATEMENTS = true;

  @Setting({
    doc: `Pipeline each transaction: BEGIN and writes whose answer the code does not read (outbox inserts, order and stock
      updates on locked rows) wait in the client and go out together with the next statement that needs an answer, or with
      the COMMIT, so a transaction costs one or two round trips instead of one per statement. A failing write then fails
      that next statement or the COMMIT, with its own error, and the transaction is rolled back as before. false: one round
      trip per statement.`,
  })
  @ToBool()
  @IsBoolean({ message: 'DB_PIPELINE_TRANSACTIONS must be true or false' })
  DB_PIPELINE_TRANSACTIONS = true;

  @Setting({
    doc: `Milliseconds a connection of the service's pool may sit in an open transaction without sending a statement before
      PostgreSQL ends the session. A frozen or cut-off process then does not keep its row locks (a product's stock row that
      every reservation needs) until TCP notices, which can take hours; its transaction rolls back, a consumer handles the
      event again, and an HTTP request fails and can be sent again. The pool's transactions never wait that long between
      statements (the relay's own connection is not covered: it waits for Kafka in its transaction). It is sent as a startup
      parameter: behind PgBouncer, add idle_in_transaction_session_timeout to its ignore_startup_parameters, or set 0 here
      and use PgBouncer's idle_transaction_timeout. 0 = not sent (a server, database or role setting then applies).`,
  })
  @ToInt()
  @IsInt({ message: 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(0, { message: 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be 0 (off) or more' })
  @Max(3_600_000, { message: 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be at most 3600000 (one hour)' })
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

  @Setting({
    doc: `Milliseconds a statement of the service's pool may run, or wait for a lock, before PostgreSQL cancels it. A
      statement queued behind a stuck session, or a runaway one, then fails instead of holding its connection and locks: a
      consumer handles the event again after a pause, an HTTP request gets 503 with Retry-After. A cancelled statement
      counts as a failure that waiting cures, so one that always takes longer fails every time (a consumer's partition then
      stops there, visible as consumer lag): raise the limit. Migrations are exempt (they may rewrite or index a large
      table). Not covered: the outbox relay's own connection (it claims and deletes published rows) and the connection that
      holds the deadline scan's lock. Sent as a startup parameter (behind PgBouncer: add statement_timeout to
      ignore_startup_parameters, or set 0). 0 = not sent (a server, database or role setting then applies).`,
  })
  @ToInt()
  @IsInt({ message: 'DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(0, { message: 'DB_STATEMENT_TIMEOUT_MS must be 0 (off) or more' })
  @Max(3_600_000, { message: 'DB_STATEMENT_TIMEOUT_MS must be at most 3600000 (one hour)' })
  DB_STATEMENT_TIMEOUT_MS = 30_000;

  @Setting({ doc: 'Kafka bootstrap brokers as a comma-separated host:port list. npm start and docker compose set it.', example: 'localhost:9092' })
  @ToList()
  @ArrayMinSize(1, { message: 'KAFKA_BROKERS must list at least one host:port' })
  @Matches(/^[^\s:,]+:\d{1,5}$/, { each: true, message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS: string[];

  @Setting({
    doc: `Prefix put in front of every topic name and every consumer group name (letters, digits, . _ -), so that several
      deployments (environments, test runs) share one cluster, each with topics and groups of its own. Empty: the groups
      are the service names (orders, inventory, shipping).`,
  })
  @IsOptional()
  @Matches(/^[a-zA-Z0-9._-]{0,100}$/, { message: 'KAFKA_TOPIC_PREFIX may only hold letters, digits, dots, dashes and underscores' })
  KAFKA_TOPIC_PREFIX = '';

  @Setting({ doc: 'Number of partitions of the event topics a service creates (their `.dlt` dead-letter topics get one).' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 6;

  @Setting({ doc: 'Replication factor of the topics a service creates (at most the number of brokers). npm start with KAFKA_NODES=3 sets 3.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10)
  KAFKA_REPLICATION_FACTOR = 1;

  @Setting({
    doc: `min.insync.replicas of the topics a service creates: how many replicas must have a message before the broker
      acknowledges it to a producer that asks for all of them (the relay does). 0 = 2 with a replication factor of 3 or more,
      else 1: one broker may then fail without stopping writes, and an acknowledged message is on two brokers. npm start
      with KAFKA_NODES=3 sets 2. Topics that exist already keep theirs.`,
  })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10)
  @AtMostSetting('KAFKA_REPLICATION_FACTOR')
  KAFKA_MIN_INSYNC_REPLICAS = 0;

  @Setting({ doc: 'Kafka consumer-group session timeout in milliseconds.' })
  @ToInt()
  @IsInt()
  @Min(6000)
  @Max(300000)
  KAFKA_SESSION_TIMEOUT_MS = 30000;

  @Setting({ doc: "Number of partitions a service's consumer processes concurrently." })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  CONSUMER_CONCURRENCY = 3;

  @Setting({
    doc: `How often (milliseconds) a consumer commits its Kafka offsets; 0 commits after every batch. Offsets only ever cover
      events already applied and committed to the database; a crash re-delivers at most this window's events, which the
      inbox recognises and skips.`,
  })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(60000)
  CONSUMER_COMMIT_INTERVAL_MS = 1000;

  @Setting({
    doc: `Most events of one partition a consumer applies in one database transaction; 1 gives every event its own
      transaction. Under load a fetch returns many events; applying them together saves a BEGIN/COMMIT and a relay wake per
      event. If any event of a batch fails, the batch is rolled back and its events are applied one by one, with the usual
      retries and dead-lettering.`,
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  CONSUMER_BATCH_SIZE = 50;

  @Setting({
    doc: `Hours an inbox row (the record that an event was applied) is kept; older rows are deleted every 10 minutes, and 0
      keeps them forever. Keep it above how long an event stays readable: Kafka deletes whole segments, so up to the topics'
      retention plus their segment roll time (168 + 168 hours by default). An event delivered again after its row is gone
      would be applied again.`,
  })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(87600)
  INBOX_RETENTION_HOURS = 360;

  @Setting({ doc: 'Lanes the outbox is split into by key, each relayed by one instance at a time; must be the same on every replica.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1024)
  OUTBOX_LANES = 16;

  @Setting({ doc: 'Maximum number of outbox events the relay claims and publishes in one batch.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10000)
  OUTBOX_BATCH_SIZE = 500;

  @Setting({ doc: 'Milliseconds the outbox relay waits before polling again when it found nothing to send.' })
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(60000)
  OUTBOX_POLL_INTERVAL_MS = 1000;

  @Setting({ doc: 'Age in milliseconds of the oldest unsent outbox event above which GET /health/ready reports not ready.' })
  @ToInt()
  @IsInt()
  @Min(1000)
  OUTBOX_BACKLOG_MAX_AGE_MS = 60000;

  @Setting({ doc: 'Milliseconds a graceful shutdown may take before the process exits anyway.' })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(300000)
  SHUTDOWN_TIMEOUT_MS = 15000;

  @Setting({
    doc: `Most verbose level of the JSON log lines written. log is pino's info (it writes a line per event a consumer handled
      and per order placed), verbose pino's trace; debug and verbose also turn on Kafka client logs.`,
  })
  @IsString()
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], { message: 'LOG_LEVEL must be one of error, warn, log, debug, verbose' })
  LOG_LEVEL = 'log';

  @Setting({
    doc: `How log lines are written: json (one JSON object a line), pretty (coloured text, through the pino-pretty dev
      dependency, which the Docker image does not have) or auto (pretty when standard output is a terminal and pino-pretty
      is installed, else json: log files, the launcher's and the containers' output are JSON).`,
  })
  @IsIn(['auto', 'json', 'pretty'], { message: 'LOG_FORMAT must be auto, json or pretty' })
  LOG_FORMAT: 'auto' | 'json' | 'pretty' = 'auto';

  @Setting({ doc: "Run only the service's outbox relay (no HTTP, no consumers), e.g. to scale relays apart." })
  @ToBool()
  @IsBoolean({ message: 'RELAY_ONLY must be true or false' })
  RELAY_ONLY = false;

  @Setting({
    doc: 'Serve Prometheus metrics at GET /metrics (process, HTTP, relay, consumer, lag, outbox backlog, business). false: no /metrics (404) and nothing counted.',
  })
  @ToBool()
  @IsBoolean({ message: 'METRICS_ENABLED must be true or false' })
  METRICS_ENABLED = true;
}
