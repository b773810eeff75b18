/* Typed access to the JS infrastructure launcher in infra/ (shared with npm start and CI). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaLib = require('../../../infra/lib/kafka');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const postgresLib = require('../../../infra/lib/postgres');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackLib = require('../../../infra/lib/stack');

export interface KafkaHandle {
  pid: number;
  port: number;
  controllerPort: number;
  dir: string;
  brokers: string;
}

export interface PostgresHandle {
  embedded: boolean;
  dir?: string;
  port?: number;
  pid?: number;
  url: string;
}

export const infra = {
  startKafka: kafkaLib.startKafka as (o: { dir: string; port?: number; controllerPort?: number; quiet?: boolean }) => Promise<KafkaHandle>,
  stopKafka: kafkaLib.stopKafka as (k: KafkaHandle) => Promise<void>,
  startPostgres: postgresLib.startEmbedded as (o: { dir: string; port?: number; durable?: boolean; quiet?: boolean }) => Promise<PostgresHandle>,
  stopPostgres: postgresLib.stopEmbedded as (p: PostgresHandle) => Promise<void>,
  ensureDatabases: postgresLib.ensureDatabases as (serverUrl: string, names: string[]) => Promise<void>,
  dropDatabases: postgresLib.dropDatabases as (serverUrl: string, names: string[]) => Promise<void>,
  databaseUrl: postgresLib.databaseUrl as (serverUrl: string, name: string) => string,
  stackUp: stackLib.up,
  stackDown: stackLib.down,
  readState: stackLib.readState,
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const freePort: () => Promise<number> = require('../../../infra/lib/ports').freePort;
