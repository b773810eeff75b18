import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { EventClass, topicOfEvent } from '@app/contracts';
import { EventHandler, RawMessageHandler, subscriptionsOf } from './on-event';

const key = (type: string, version: number) => `${type}@${version}`;

/**
 * The service's handlers, by event type and version and by raw topic, found on its providers
 * (@OnEvent, @OnMessage); the topics its consumer subscribes to follow from them.
 */
@Injectable()
export class EventRouter {
  private readonly events = new Map<string, EventHandler>();
  private readonly types = new Set<string>();
  private readonly raw = new Map<string, RawMessageHandler>();
  private readonly subscribed = new Set<string>();
  private scanned = false;

  constructor(private readonly discovery?: DiscoveryService) {}

  /**
   * Finds the handlers on the app's providers, once, when first asked: the consumer may start before the
   * app's init hooks run (a hybrid app's microservices can be started before `listen()`), while providers
   * are instantiated as the app is created.
   */
  private scan(): void {
    if (this.scanned) return;
    this.scanned = true;
    for (const wrapper of this.discovery?.getProviders() ?? []) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      this.register(instance);
    }
  }

  /** Adds the handlers `instance`'s class declared; two handlers of one event version are a mistake. */
  register(instance: object): this {
    for (const s of subscriptionsOf(instance.constructor)) {
      const method = (instance as Record<string | symbol, (...args: unknown[]) => Promise<unknown>>)[s.method].bind(instance);
      if (s.kind === 'event') this.addEvent(s.eventClass, method, instance);
      else {
        if (this.raw.has(s.topic)) throw new Error(`two @OnMessage handlers for topic ${s.topic}`);
        this.raw.set(s.topic, method as RawMessageHandler);
        this.subscribed.add(s.topic);
      }
    }
    return this;
  }

  private addEvent(eventClass: EventClass, handler: EventHandler, owner: object): void {
    const k = key(eventClass.type, eventClass.version);
    if (this.events.has(k)) throw new Error(`two @OnEvent handlers for ${eventClass.type} v${eventClass.version} (one in ${owner.constructor.name})`);
    this.events.set(k, handler);
    this.types.add(eventClass.type);
    this.subscribed.add(topicOfEvent(eventClass));
  }

  /** The handler of this event version, if the service applies it. */
  event(type: string, version: number): EventHandler | undefined {
    this.scan();
    return this.events.get(key(type, version));
  }

  /** Whether the service applies some version of this type (another version of it must not be skipped). */
  handlesType(type: string): boolean {
    this.scan();
    return this.types.has(type);
  }

  /** The handler of a topic's raw messages, if the topic carries no events for this service. */
  rawHandler(topic: string): RawMessageHandler | undefined {
    this.scan();
    return this.raw.get(topic);
  }

  /** Logical topics to subscribe to, sorted. */
  topics(): string[] {
    this.scan();
    return [...this.subscribed].sort();
  }
}
