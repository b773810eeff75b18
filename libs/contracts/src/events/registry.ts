import { Topic, Topics } from '../topics';
import { OrderCancelledV1, OrderPlacedV1 } from './orders.events';
import { StockRejectedV1, StockReleasedV1, StockReservedV1 } from './inventory.events';
import { ShipmentCancelledV1, ShipmentFailedV1, ShipmentScheduledV1 } from './shipping.events';

/** An event payload class: its static `type` and `version` name it on the wire. */
export interface EventClass<T = object> {
  new (): T;
  readonly type: string;
  readonly version: number;
}

interface Registration {
  topic: Topic;
  dataClass: EventClass;
}

/**
 * Every event type and version that may be on a topic. A consumer accepts each listed version;
 * when a new version replaces an old one, keep the old class here with an upcaster for as long
 * as old messages can still be on the topic.
 */
const REGISTRATIONS: Registration[] = [
  { topic: Topics.OrdersEvents, dataClass: OrderPlacedV1 },
  { topic: Topics.OrdersEvents, dataClass: OrderCancelledV1 },
  { topic: Topics.InventoryEvents, dataClass: StockReservedV1 },
  { topic: Topics.InventoryEvents, dataClass: StockRejectedV1 },
  { topic: Topics.InventoryEvents, dataClass: StockReleasedV1 },
  { topic: Topics.ShippingEvents, dataClass: ShipmentScheduledV1 },
  { topic: Topics.ShippingEvents, dataClass: ShipmentFailedV1 },
  { topic: Topics.ShippingEvents, dataClass: ShipmentCancelledV1 },
];

const byKey = new Map(REGISTRATIONS.map((r) => [`${r.dataClass.type}@${r.dataClass.version}`, r]));

export function findEventClass(type: string, version: number): EventClass | undefined {
  return byKey.get(`${type}@${version}`)?.dataClass;
}

export function topicOfEvent(eventClass: EventClass): Topic {
  const registration = byKey.get(`${eventClass.type}@${eventClass.version}`);
  if (!registration) throw new Error(`Event ${eventClass.type} v${eventClass.version} is not registered`);
  return registration.topic;
}

/** Every registered event class, each version its own. */
export function registeredEventClasses(): EventClass[] {
  return REGISTRATIONS.map((r) => r.dataClass);
}

export function isKnownType(type: string): boolean {
  return REGISTRATIONS.some((r) => r.dataClass.type === type);
}
