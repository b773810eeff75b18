'use strict';
// Jars fetched from Maven Central with Maven (cached in ~/.m2, copied into a folder of the project): the Kafka
// broker's (infra/kafka) and Zipkin's (infra/zipkin), each described by a pom.xml of its own.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { log } = require('./proc');

function hasCommand(cmd, versionFlag = '-version') {
  return spawnSync(cmd, [versionFlag], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure `present()` holds: when it does not, `mvn dependency:copy-dependencies` of `pom` fetches the jars
 * into `dir`. `what` names them in messages ("the Apache Kafka 3.9.1 broker jars").
 */
function ensureJars({ what, pom, dir, present }) {
  if (present()) return;
  if (!hasCommand('mvn', '-v')) {
    throw new Error(
      `Maven was not found on PATH. It fetches ${what} (once; they are cached).\n` +
        'Install Maven, or run the whole stack with Docker instead: docker compose up',
    );
  }
  log(`fetching ${what} with Maven (first run only)...`);
  const result = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0 || !present()) throw new Error(`Maven could not fetch ${what} (see its output above).`);
  log(`${what} ready in ${path.relative(process.cwd(), dir) || dir}`);
}

module.exports = { hasCommand, ensureJars };
