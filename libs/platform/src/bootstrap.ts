import { DynamicModule, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';
import {
  createKafkaTransport,
  createOutboxRelay,
  ensureServiceTopics,
  InboxConsumer,
  KafkaServerRef,
  nameServerSpan,
  shutdownTracing,
  tracingEnabled,
} from '@app/messaging';
import { BaseConfig } from './config/base.config';
import { loadConfigOrExit } from './config/load-config';
import { messagingOptionsFrom } from './config/messaging-options';
import { unstorableTextProblems, unstorableTextResponse, validationExceptionFactory } from './http/validation';
import { HttpErrorFilter } from './http/http-error.filter';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeep } from './http/json-depth';
import { ServiceMetrics } from './metrics/service-metrics';
import { createServiceLogger, installServiceLogger, LogFormatError, type PinoNestLogger } from './logging/service-logger';

export interface ServiceDefinition<C extends BaseConfig> {
  service: string;
  configClass: new () => C;
  module: (config: C) => DynamicModule;
  /** Largest accepted request body, in bytes (default 64 KiB); larger ones get 413. */
  bodyLimit?: number;
}

/**
 * Creates and configures the hybrid (HTTP + Kafka) app, without listening yet. It logs through `installed`, the
 * logger runService installed, or else one made from `config` here (tests start apps in their own process).
 */
export async function createServiceApp<C extends BaseConfig>(
  def: ServiceDefinition<C>,
  config: C,
  installed?: PinoNestLogger,
): Promise<NestFastifyApplication> {
  const logger = installed ?? installServiceLogger(createServiceLogger(def.service, config));
  // Fastify, not Express: each request's HTTP cost is paid on the service's one thread (see
  // docs/decisions/009-fastify-over-express.md)
  const bodyLimit = def.bodyLimit ?? 64 * 1024;
  const adapter = new FastifyAdapter({ bodyLimit });
  const app = await NestFactory.create<NestFastifyApplication>(def.module(config), adapter, { logger, abortOnError: false });
  // JSON bodies with fastify's own parser (prototype-poisoning checks included), except that an empty
  // body is `{}`: `POST /orders/:id/cancel` with a JSON content type and nothing else is a valid request
  const json = adapter.getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    if (body.length === 0) return done(null, {});
    const text = body.toString('utf8');
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return done(tooDeep(), undefined);
    json(request, text, done);
  });
  // a NUL character or a lone surrogate passes class-validator but not PostgreSQL: refused here, with the field named
  adapter.getInstance().addHook('preValidation', async (request, reply) => {
    const found = [...unstorableTextProblems(request.body), ...unstorableTextProblems(request.query)];
    if (found.length > 0) return reply.code(400).send(unstorableTextResponse(found));
  });
  // every request's duration, by its route pattern (not the raw URL); /metrics itself is left out
  const metrics = app.get(ServiceMetrics);
  if (metrics.enabled) {
    adapter.getInstance().addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime);
    });
  }
  // tracing on: the request's span is named after its route pattern, as the trace's root reads best
  if (tracingEnabled()) {
    adapter.getInstance().addHook('onRequest', async (request) => nameServerSpan(request.method, request.routeOptions.url));
  }
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationExceptionFactory }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();

  const options = messagingOptionsFrom(def.service, config);
  await ensureServiceTopics(options);
  const server = createKafkaTransport(options, app.get(InboxConsumer));
  app.get(KafkaServerRef).server = server;
  app.connectMicroservice({ strategy: server });
  return app;
}

/** The process's JSON logger, before anything logs; LOG_FORMAT=pretty without pino-pretty stops the service like a bad setting. */
function installLoggerOrExit(service: string, config: BaseConfig): PinoNestLogger {
  try {
    return installServiceLogger(createServiceLogger(service, config));
  } catch (err) {
    if (!(err instanceof LogFormatError)) throw err;
    process.stderr.write(`${service}: cannot start. ${err.message}\n`);
    process.exit(1);
  }
}

/** main.ts of every service: validated config, hybrid app, graceful shutdown with a time limit. */
export async function runService<C extends BaseConfig>(def: ServiceDefinition<C>): Promise<void> {
  const config = loadConfigOrExit(def.service, def.configClass);
  const installed = installLoggerOrExit(def.service, config);
  const logger = new Logger(def.service);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: finishing in-flight work, flushing the outbox, then exiting`);
      setTimeout(() => {
        logger.error(`shutdown took longer than ${config.SHUTDOWN_TIMEOUT_MS} ms; exiting now`);
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS).unref();
    });
  }
  if (config.RELAY_ONLY) return runRelayOnly(def.service, config, logger);
  try {
    const app = await createServiceApp(def, config, installed);
    // HTTP first: listen() runs init() (database, migrations, the relay, every module's hooks), then opens the
    // port; the consumer starts after, in the background. Its start ends once it has joined its group, and
    // after a kill -9 of this service that waits for the dead member's session to expire (kafkajs 2.2.4 has no
    // static membership, see ConsumerState): requests that need only the database are answered meanwhile, and
    // /health/ready stays down (kafka.consumer: 'joining') until the consumer has joined.
    await app.listen(config.PORT, '0.0.0.0');
    logger.log(`${def.service} listening on http://127.0.0.1:${config.PORT}; its Kafka consumer is joining its group (health: /health/ready)`);
    const server = app.get(KafkaServerRef).server;
    app.startAllMicroservices().then(
      () => logger.log(`${def.service} consumer started (${server?.state ?? 'no consumer'})`),
      // the server tries again by itself (until it is closed), and readiness says the consumer crashed, and why
      (err: Error) => logger.error(`${def.service} consumer failed to start (${err.message}); trying again, /health/ready is down meanwhile`, err.stack),
    );
  } catch (err) {
    logger.error(`${def.service} failed to start: ${(err as Error).message}`, (err as Error).stack);
    process.exit(1);
  }
}

/**
 * RELAY_ONLY=true: this service's outbox relay alone, e.g. scaled apart from the HTTP and consumer
 * replicas. Any number of relays may run over one outbox (lanes keep order per key).
 */
async function runRelayOnly(service: string, config: BaseConfig, logger: Logger): Promise<void> {
  const relay = createOutboxRelay(messagingOptionsFrom(service, config));
  await relay.start();
  logger.log(`${service} outbox relay running alone (RELAY_ONLY)`);
  const report = setInterval(() => logger.log(`relay: ${JSON.stringify(relay.stats)}`), 30_000);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, async () => {
      clearInterval(report);
      await relay.stop(3000);
      await shutdownTracing();
      logger.log(`relay stopped after publishing ${relay.stats.published} events`);
      process.exit(0);
    });
  }
}
