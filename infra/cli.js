#!/usr/bin/env node
'use strict';
// Local infrastructure: `node infra/cli.js up|down|status|env|restart-kafka`.
// State lives in .data/infra (override with INFRA_DIR). DATABASE_URL, when set, names the PostgreSQL
// server to use instead of the embedded one; KAFKA_PORT and PG_PORT set the preferred ports.
const path = require('node:path');
const stack = require('./lib/stack');
const { readPort } = require('./lib/env');

const dir = path.resolve(process.env.INFRA_DIR || path.join(__dirname, '..', '.data', 'infra'));
const USAGE = [
  'usage: node infra/cli.js <command>',
  '  up             start Kafka and PostgreSQL (or find them up) and print the orders app environment',
  '  down           stop them',
  '  status         say whether they run and answer',
  '  env [service]  print KAFKA_BROKERS and DATABASE_URL for orders, inventory or shipping',
  '  restart-kafka  stop the broker and start it again on the same port and data',
].join('\n');

async function main(command) {
  switch (command) {
    case 'up': {
      const state = await stack.up({
        dir,
        kafkaPort: readPort('KAFKA_PORT', 9092),
        pgPort: readPort('PG_PORT', 5433),
        databaseUrl: process.env.DATABASE_URL || undefined,
      });
      printEnv(state);
      return;
    }
    case 'down':
      return stack.down({ dir });
    case 'status': {
      const { up, state, problems } = await stack.status(dir);
      console.log(up ? `up: Kafka ${state.kafka.brokers}, PostgreSQL ${stack.redact(state.postgres.url)}` : `down: ${problems.join('; ')}`);
      return;
    }
    case 'env': {
      const state = stack.refresh(dir);
      if (!stack.isUp(state)) throw new Error('the infrastructure is not up; run: npm run infra:up');
      printEnv(state, process.argv[3]);
      return;
    }
    case 'restart-kafka': {
      const state = await stack.restartKafka({ dir });
      console.log(`Kafka restarted: ${state.kafka.brokers} (pid ${state.kafka.pid})`);
      return;
    }
    default:
      throw new Error(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

function printEnv(state, service = 'orders') {
  if (!stack.SERVICES.includes(service)) throw new Error(`unknown service "${service}": use one of ${stack.SERVICES.join(', ')}`);
  const env = stack.envFor(state, service);
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}

main(process.argv[2]).catch((err) => {
  console.error(`[infra] ${err.message}`);
  process.exit(1);
});
