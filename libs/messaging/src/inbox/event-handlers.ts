import { EntityManager } from 'typeorm';
import { EventClass, EventEnvelope } from '@app/contracts';

/**
 * Applies one event inside the consumer's transaction (state change + outbox rows + inbox row).
 * It must write only through `tx` and have no other side effects: under load that transaction is
 * shared by a batch of events, and a batch that fails is rolled back and applied again event by event.
 */
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
