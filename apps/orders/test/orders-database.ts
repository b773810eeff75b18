import { DataSource } from 'typeorm';
import { MESSAGING_MIGRATIONS } from '@app/messaging';
import { DatabaseClient } from '@app/database';
import { createDatabase } from '@app/testing';
import { Orders1732300000100 } from '../src/persistence/migrations/1732300000100-orders';

/** A fresh orders database with its migrations run, through the services' own client (prepared, pipelined). */
export async function openOrdersDatabase(prefix: string, poolSize: number): Promise<{ url: string; dataSource: DataSource }> {
  const url = await createDatabase(prefix);
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: [...MESSAGING_MIGRATIONS, Orders1732300000100],
    extra: { max: poolSize, Client: DatabaseClient, preparedStatements: true, pipelineTransactions: true },
  });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return { url, dataSource };
}
