import 'reflect-metadata';
import type { IHeaders } from 'kafkajs';
import { EntityManager } from 'typeorm';
import { EventClass, EventEnvelope } from '@app/contracts';

/**
 * Applies one event inside the consumer's transaction (state change + outbox rows + inbox row).
 * It must write only through `tx` and have no other side effects: under load that transaction is
 * shared by a batch of events, and a batch that fails is rolled back and applied again event by event.
 */
export type EventHandler<T extends object = object> = (event: EventEnvelope<T>, tx: EntityManager) => Promise<unknown>;

/** A message of a topic that carries no events (a dead-letter topic), as its handler sees it. */
export interface RawMessage {
  /** The logical topic (without the deployment's prefix). */
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** Handles a raw message; its effect must be idempotent by itself (no inbox), as it may be delivered again. */
export type RawMessageHandler = (message: RawMessage) => Promise<unknown>;

export type Subscription = { kind: 'event'; eventClass: EventClass; method: string | symbol } | { kind: 'message'; topic: string; method: string | symbol };

const SUBSCRIPTIONS = Symbol('messaging:subscriptions');

type Declared = { kind: 'event'; eventClass: EventClass } | { kind: 'message'; topic: string };

function subscribe(subscription: Declared): MethodDecorator {
  return (target, method) => {
    const owner = target.constructor;
    const existing: Subscription[] = Reflect.getOwnMetadata(SUBSCRIPTIONS, owner) ?? [];
    Reflect.defineMetadata(SUBSCRIPTIONS, [...existing, { ...subscription, method } as Subscription], owner);
  };
}

/**
 * Declares the method that applies `eventClass` (its type and version) in this service: `(envelope, tx)`.
 * The messaging module finds it on any provider, subscribes to the event's topic, and runs it through the
 * inbox (validated, deduplicated, in a transaction, retried or dead-lettered).
 */
export function OnEvent<T extends object>(eventClass: EventClass<T>) {
  // typed: the method must take an envelope of this very class (a handler of another event does not compile)
  return <M extends EventHandler<T>>(target: object, method: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    subscribe({ kind: 'event', eventClass })(target, method, descriptor);
  };
}

/**
 * Declares the method that handles each raw message of `topic` (one that carries no events, such as a
 * dead-letter topic): transient failures are retried, any other is logged and the message skipped.
 */
export function OnMessage(topic: string): MethodDecorator {
  return subscribe({ kind: 'message', topic });
}

/** What a provider's class declared with @OnEvent and @OnMessage. */
export function subscriptionsOf(type: Function): Subscription[] {
  return Reflect.getMetadata(SUBSCRIPTIONS, type) ?? [];
}
