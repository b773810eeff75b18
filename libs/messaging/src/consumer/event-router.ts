import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { topicOfEvent } from '@app/contracts';
import { EventHandler, RawMessageHandler, subscriptionsOf } from './on-event';

const key = (type: string, version: number) => `${type}@${version}`;

/** What the router found: handlers by event version and by raw topic, and the topics they read. */
interface Table {
  events: Map<string, EventHandler>;
  types: Set<string>;
  raw: Map<string, RawMessageHandler>;
  topics: string[];
}

/**
 * The service's handlers, by event type and version and by raw topic, found on its providers
 * (@OnEvent, @OnMessage); the topics its consumer subscribes to follow from them.
 */
@Injectable()
export class EventRouter implements OnApplicationBootstrap {
  private table: Table | null = null;
  private failure: Error | null = null;

  constructor(private readonly discovery?: DiscoveryService) {}

  /** A mistake in the handlers (two for one event version...) stops the app at start, before HTTP opens. */
  onApplicationBootstrap(): void {
    this.routes();
  }

  /**
   * Finds the handlers on the app's providers, once, when first asked: the consumer may start before the
   * app's init hooks run (a hybrid app's microservices can be started before `listen()`), while providers
   * are instantiated as the app is created. A mistake fails every call, never half a table.
   */
  private routes(): Table {
    if (this.failure) throw this.failure;
    if (!this.table) {
      const instances = (this.discovery?.getProviders() ?? [])
        .filter((w) => w.isDependencyTreeStatic())
        .map((w) => w.instance as unknown)
        .filter((i): i is object => !!i && typeof i === 'object');
      try {
        this.table = EventRouter.tableOf(instances);
      } catch (err) {
        this.failure = err as Error;
        throw err;
      }
    }
    return this.table;
  }

  /** The handlers the instances' classes declared; each instance counted once (an alias is no second handler). */
  static tableOf(instances: object[]): Table {
    const table: Table = { events: new Map(), types: new Set(), raw: new Map(), topics: [] };
    const eventTopics = new Set<string>();
    for (const instance of new Set(instances)) {
      for (const s of subscriptionsOf(instance.constructor)) {
        const method = (instance as Record<string | symbol, (...args: never[]) => Promise<unknown>>)[s.method].bind(instance);
        const owner = `${instance.constructor.name}.${String(s.method)}`;
        if (s.kind === 'message') {
          if (table.raw.has(s.topic)) throw new Error(`two @OnMessage handlers for topic ${s.topic} (one is ${owner})`);
          table.raw.set(s.topic, method as RawMessageHandler);
          continue;
        }
        const k = key(s.eventClass.type, s.eventClass.version);
        if (table.events.has(k)) throw new Error(`two @OnEvent handlers for ${s.eventClass.type} v${s.eventClass.version} (one is ${owner})`);
        eventTopics.add(topicOfEvent(s.eventClass));
        table.events.set(k, method as EventHandler);
        table.types.add(s.eventClass.type);
      }
    }
    for (const topic of table.raw.keys()) {
      if (eventTopics.has(topic)) throw new Error(`topic ${topic} has both @OnMessage and @OnEvent handlers: a topic carries events or not`);
    }
    table.topics = [...eventTopics, ...table.raw.keys()].sort();
    return table;
  }

  /** The handler of this event version, if the service applies it. */
  event(type: string, version: number): EventHandler | undefined {
    return this.routes().events.get(key(type, version));
  }

  /** Whether the service applies some version of this type (another version of it must not be skipped). */
  handlesType(type: string): boolean {
    return this.routes().types.has(type);
  }

  /** The handler of a topic's raw messages, if the topic carries no events for this service. */
  rawHandler(topic: string): RawMessageHandler | undefined {
    return this.routes().raw.get(topic);
  }

  /** Logical topics to subscribe to, sorted. */
  topics(): string[] {
    return this.routes().topics;
  }
}
