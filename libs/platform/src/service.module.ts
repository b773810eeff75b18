import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { DataSourceOptions, MigrationInterface, QueryRunner } from 'typeorm';
import { DatabaseClient } from '@app/database';
import { TerminusModule } from '@nestjs/terminus';
import { MessagingModule, MESSAGING_MIGRATIONS } from '@app/messaging';
import { BaseConfig } from './config/base.config';
import { messagingOptionsFrom } from './config/messaging-options';
import { HealthController } from './health/health.controller';
import { TypeOrmLog } from './logging/typeorm-log';
import { MetricsController, ServiceMetrics } from './metrics/service-metrics';

export interface ServiceModuleOptions {
  service: string;
  config: BaseConfig;
  entities: Function[];
  /** The service's own migrations; the messaging tables' migration is added first. */
  migrations: Function[];
}

/** The service's database through TypeORM: its pool, its settings, and migrations run at start. */
export function databaseOptions(
  options: Pick<ServiceModuleOptions, 'service' | 'config' | 'entities' | 'migrations'>,
): TypeOrmModuleOptions & DataSourceOptions {
  const { config } = options;
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    entities: options.entities,
    migrations: [...MESSAGING_MIGRATIONS, ...options.migrations].map((m) => withoutStatementTimeout(m as MigrationClass)),
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    applicationName: options.service,
    extra: {
      max: config.DB_POOL_SIZE,
      connectionTimeoutMillis: 5000,
      Client: DatabaseClient,
      preparedStatements: config.DB_PREPARED_STATEMENTS,
      pipelineTransactions: config.DB_PIPELINE_TRANSACTIONS,
      // sent at connect; 0 (off) is left out, so the server's own setting applies
      idle_in_transaction_session_timeout: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS || undefined,
      statement_timeout: config.DB_STATEMENT_TIMEOUT_MS || undefined,
    },
    retryAttempts: 5,
    retryDelay: 1000,
    // failed statements and migrations, as JSON lines (see TypeOrmLog)
    logger: new TypeOrmLog(),
  };
}

type MigrationClass = new () => MigrationInterface;

/**
 * The migration with no statement timeout (DB_STATEMENT_TIMEOUT_MS is for the service's own statements; a
 * migration may rewrite or index a large table): for its transaction, or, for one that runs outside a
 * transaction (an index built CONCURRENTLY), for its session until it ends. Same name, same timestamp.
 */
export function withoutStatementTimeout(migration: MigrationClass): MigrationClass {
  const untimed = async (instance: MigrationInterface, q: QueryRunner, run: () => Promise<unknown>) => {
    if (instance.transaction === false) {
      await q.query('SET statement_timeout = 0');
      try {
        await run();
      } catch (err) {
        // the migration's own error is what matters (a RESET inside a failed transaction would fail too)
        await q.query('RESET statement_timeout').catch(() => {});
        throw err;
      }
      await q.query('RESET statement_timeout');
    } else {
      await q.query('SET LOCAL statement_timeout = 0');
      await run();
    }
  };
  const exempt = class extends migration {
    override async up(q: QueryRunner): Promise<void> {
      await untimed(this, q, () => super.up(q));
    }
    override async down(q: QueryRunner): Promise<void> {
      await untimed(this, q, () => super.down(q));
    }
  };
  Object.defineProperty(exempt, 'name', { value: migration.name });
  return exempt;
}

/**
 * What every service shares: its validated config (also through @nestjs/config), its own
 * database through TypeORM with migrations run at start, messaging, and health endpoints.
 */
@Module({})
export class ServiceModule {
  static forRoot(options: ServiceModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: ServiceModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config })] }),
        TypeOrmModule.forRoot(databaseOptions(options)),
        MessagingModule.forRoot(messagingOptionsFrom(options.service, config)),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: BaseConfig, useValue: config },
        { provide: config.constructor, useValue: config },
        ServiceMetrics,
      ],
      exports: [BaseConfig, config.constructor as Function, ServiceMetrics],
    };
  }
}
