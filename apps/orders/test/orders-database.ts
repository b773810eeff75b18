import { DataSource } from 'typeorm';
import { MESSAGING_MIGRATIONS } from '@app/messaging';
import { DatabaseClient } from '@app/database';
import { createDatabase } from '@app/testing';
import { ORDERS_MIGRATIONS } from '../src/persistence/migrations';

/** A fresh orders database with its migrations run, through the services' own client (prepared, pipelined). */
export async function openOrdersDatabase(prefix: string, poolSize: number): Promise<{ url: string; dataSource: DataSource }> {
  const url = await createDatabase(prefix);
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: [...MESSAGING_MIGRATIONS, ...ORDERS_MIGRATIONS],
    extra: { max: poolSize, Client: DatabaseClient, preparedStatements: true, pipelineTransactions: true },
  });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return { url, dataSource };
}
