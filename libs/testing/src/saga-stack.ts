import { consumerGroupOf } from '@app/messaging';
import { createDatabase, dropDatabase, sharedInfra, uniqueTopicPrefix } from './environment';
import { freePort } from './infra';
import { spawnService, SpawnedService } from './service-app';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/** The three services as separate processes, each with a fresh database, on one topic prefix. */
export class SagaStack {
  readonly services: Record<'orders' | 'inventory' | 'shipping', SpawnedService> = {} as never;
  private readonly env: Record<string, Record<string, string>> = {};

  static async start(extra: Partial<Record<'orders' | 'inventory' | 'shipping', Record<string, string>>> = {}): Promise<SagaStack> {
    const stack = new SagaStack();
    const { brokers } = sharedInfra();
    const prefix = uniqueTopicPrefix();
    for (const name of ['orders', 'inventory', 'shipping'] as const) {
      stack.env[name] = {
        DATABASE_URL: await createDatabase(name),
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        PORT: String(await freePort()),
        ADMIN_TOKEN,
        SEED_DEMO_DATA: 'false',
        SERVED_COUNTRIES: 'DE,FR,NL',
        ...(extra[name] ?? {}),
      };
    }
    await Promise.all((['orders', 'inventory', 'shipping'] as const).map(async (name) => (stack.services[name] = await spawnService(name, stack.env[name]))));
    return stack;
  }

  url(name: 'orders' | 'inventory' | 'shipping'): string {
    return this.services[name].url;
  }

  /** The stack's brokers, and a topic's name on its prefix, for a test that talks to Kafka itself. */
  get brokers(): string {
    return this.env.orders.KAFKA_BROKERS;
  }

  topic(logical: string): string {
    return `${this.env.orders.KAFKA_TOPIC_PREFIX}${logical}`;
  }

  /** A service's consumer group, as its transport names it (with the stack's prefix), for reading its offsets. */
  consumerGroup(name: 'orders' | 'inventory' | 'shipping'): string {
    return consumerGroupOf(name, this.env[name].KAFKA_TOPIC_PREFIX);
  }

  databaseUrl(name: string): string {
    return this.env[name].DATABASE_URL;
  }

  async restart(name: 'orders' | 'inventory' | 'shipping', how: 'crash' | 'graceful' = 'graceful', pauseMs = 0): Promise<void> {
    if (how === 'crash') await this.services[name].kill();
    else await this.services[name].stop();
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    this.services[name] = await spawnService(name, this.env[name]);
  }

  async stopService(name: 'orders' | 'inventory' | 'shipping'): Promise<void> {
    await this.services[name].stop();
  }

  async startService(name: 'orders' | 'inventory' | 'shipping'): Promise<void> {
    this.services[name] = await spawnService(name, this.env[name]);
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.services).map((s) => s.stop()));
    await Promise.all(Object.values(this.env).map((e) => dropDatabase(e.DATABASE_URL)));
  }
}
