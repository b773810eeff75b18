import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describeValidationErrors } from '@app/contracts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads `env` into a validated instance of `configClass`. Every problem is collected, so one run
 * names every missing or bad variable. Property names are the environment variable names.
 */
export function loadConfig<T extends object>(configClass: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const config = plainToInstance(configClass, plain, { exposeDefaultValues: true, excludeExtraneousValues: false });
  const errors = validateSync(config, { skipMissingProperties: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    // one line per variable, however many of its rules failed
    const problems = errors.map((e) => {
      const messages = describeValidationErrors([e]);
      return e.value === undefined ? `${e.property} is not set: ${messages[0]}` : `${messages.join('; ')} (got "${String(e.value)}")`;
    });
    throw new ConfigError(problems);
  }
  // keep only declared settings, not the whole process environment
  const declared = new (configClass as new () => T)();
  for (const key of Object.keys(declared)) (declared as Record<string, unknown>)[key] = (config as Record<string, unknown>)[key];
  return declared;
}

/** Reads and validates the environment, or prints every problem and exits with status 1. */
export function loadConfigOrExit<C extends object>(service: string, configClass: new () => C): C {
  try {
    return loadConfig(configClass);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${service}: cannot start. ${err.message}\nSee .env.example for every setting.\n`);
    process.exit(1);
  }
}
