#!/usr/bin/env node
'use strict';
// Local infrastructure: `node infra/cli.js up|down|status|env`.
// State lives in .data/infra (override with INFRA_DIR). DATABASE_URL, when set, names the PostgreSQL
// server to use instead of the embedded one; KAFKA_PORT and PG_PORT set the preferred ports.
const path = require('node:path');
const stack = require('./lib/stack');
const { readPort } = require('./lib/env');

const dir = path.resolve(process.env.INFRA_DIR || path.join(__dirname, '..', '.data', 'infra'));

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
      const state = stack.readState(dir);
      console.log(stack.isUp(state) ? `up: Kafka ${state.kafka.brokers}, PostgreSQL ${stack.redact(state.postgres.url)}` : 'down');
      return;
    }
    case 'env': {
      const state = stack.readState(dir);
      if (!stack.isUp(state)) throw new Error('the infrastructure is not up; run: npm run infra:up');
      printEnv(state, process.argv[3]);
      return;
    }
    default:
      throw new Error('usage: node infra/cli.js up|down|status|env [service]');
  }
}

function printEnv(state, service = 'orders') {
  const env = stack.envFor(state, service);
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}

main(process.argv[2]).catch((err) => {
  console.error(`[infra] ${err.message}`);
  process.exit(1);
});
