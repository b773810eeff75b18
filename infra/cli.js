#!/usr/bin/env node
'use strict';
// Local infrastructure: `node infra/cli.js up|down|status|env|restart-kafka`.
// State lives in .data/infra (override with INFRA_DIR). DATABASE_URL, when set, names the PostgreSQL
// server to use instead of the embedded one; KAFKA_PORT and PG_PORT set the preferred ports; KAFKA_NODES=3 runs
// a Kafka cluster of 3 nodes instead of one broker.
const path = require('node:path');
const stack = require('./lib/stack');
const { readPort } = require('./lib/env');
const { readNodes } = require('./lib/kafka');
const observe = require('./lib/observe');

const dir = path.resolve(process.env.INFRA_DIR || path.join(__dirname, '..', '.data', 'infra'));
const USAGE = [
  'usage: node infra/cli.js <command>',
  '  up             start Kafka (KAFKA_NODES=3: a 3-node cluster) and PostgreSQL (or find them up) and print the orders app environment',
  '  down           stop them (and the Prometheus and Zipkin of `npm start -- --observe`)',
  '  status         say whether they run and answer (and Prometheus and Zipkin, when started)',
  '  env [service]  print KAFKA_BROKERS, the topics\' replication and DATABASE_URL for orders, inventory or shipping',
  '  restart-kafka [node]  stop the broker (every node of a cluster, or node 1-3 alone) and start it again on the same port and data',
].join('\n');

async function main(command) {
  switch (command) {
    case 'up': {
      const state = await stack.up({
        dir,
        kafkaPort: readPort('KAFKA_PORT', 9092),
        kafkaNodes: readNodes(),
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
      console.log(up ? `up: Kafka ${state.kafka.brokers}${clusterNote(state)}, PostgreSQL ${stack.redact(state.postgres.url)}` : `down: ${problems.join('; ')}`);
      for (const part of observe.status(dir)) console.log(`observe: ${part}`);
      return;
    }
    case 'env': {
      const state = stack.refresh(dir);
      if (!stack.isUp(state)) throw new Error('the infrastructure is not up; run: npm run infra:up');
      printEnv(state, process.argv[3]);
      return;
    }
    case 'restart-kafka': {
      const node = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
      if (node !== undefined && !Number.isInteger(node)) throw new Error(`restart-kafka takes a node number, got "${process.argv[3]}"`);
      const state = await stack.restartKafka({ dir, node });
      const pids = (state.kafka.nodes ?? [state.kafka]).map((n) => n.pid).join(', ');
      console.log(`Kafka restarted${node === undefined ? '' : ` (node ${node})`}: ${state.kafka.brokers} (pid ${pids})`);
      return;
    }
    default:
      throw new Error(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

function clusterNote(state) {
  return state.kafka.nodes ? ` (${state.kafka.nodes.length} nodes)` : '';
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
