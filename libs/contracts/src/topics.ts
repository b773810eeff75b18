/**
 * Kafka topics, one per producing bounded context. Every event of one order is keyed by its
 * orderId, so all of an order's events from one context stay on one partition, in order.
 * These are logical names: deployments may add a prefix (KAFKA_TOPIC_PREFIX) to share a cluster.
 */
export const Topics = {
  OrdersEvents: 'orders.events',
  InventoryEvents: 'inventory.events',
  ShippingEvents: 'shipping.events',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

/** Messages a consumer cannot process (poison messages) go here, with the reason in headers. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlt`;
}
