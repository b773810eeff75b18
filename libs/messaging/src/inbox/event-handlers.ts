import { EntityManager } from 'typeorm';
import { EventClass, EventEnvelope } from '@app/contracts';

/** Applies one event inside the consumer's transaction (state change + outbox rows + inbox row). */
export type EventHandler<T extends object> = (event: EventEnvelope<T>, tx: EntityManager) => Promise<void>;

/** The events a consumer acts on; any other known event type on its topics is acknowledged and skipped. */
export class EventHandlers {
  private readonly handlers = new Map<string, EventHandler<any>>();

  on<T extends object>(eventClass: EventClass<T>, handler: EventHandler<T>): this {
    this.handlers.set(`${eventClass.type}@${eventClass.version}`, handler);
    return this;
  }

  find(type: string, version: number): EventHandler<object> | undefined {
    return this.handlers.get(`${type}@${version}`);
  }

  handlesType(type: string): boolean {
    return [...this.handlers.keys()].some((k) => k.startsWith(`${type}@`));
  }
}
