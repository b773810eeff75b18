import { Client } from 'pg';
import { readToEnd } from '@app/testing/kafka';
import { Observation, OrderLine, OrderRow, PlacedOrder, ProductRow, ReservationRow, ShipmentRow, TimelineRow, TopicEvent } from './model';

export interface CollectInput {
  placed: PlacedOrder[];
  initialStock: Record<string, number>;
  addedStock?: Record<string, number>;
  databaseUrls: { orders: string; inventory: string; shipping: string };
  brokers: string;
  /** KAFKA_TOPIC_PREFIX of the run's services. */
  topicPrefix: string;
  /** Only these products (the run's own); all of them when absent. */
  skus?: string[];
}

const EVENT_TOPICS: readonly TopicEvent['topic'][] = ['orders.events', 'inventory.events', 'shipping.events'];

/**
 * What the chaos checker judges, read once the system is quiet: the orders database (with the ids of requests
 * that got no answer, found by their Idempotency-Key), inventory's products and reservations, shipping's
 * shipments, and every record of the three event topics up to the end they have when the read begins.
 */
export async function collect(input: CollectInput): Promise<Observation> {
  const [orders, inventory, shipments, events] = await Promise.all([
    readOrders(input.databaseUrls.orders, input.placed),
    readInventory(input.databaseUrls.inventory, input.skus),
    withClient(input.databaseUrls.shipping, readShipments),
    readEvents(input.brokers, input.topicPrefix),
  ]);
  return {
    placed: orders.placed,
    initialStock: { ...input.initialStock },
    addedStock: { ...(input.addedStock ?? {}) },
    orders: orders.orders,
    timeline: orders.timeline,
    products: inventory.products,
    reservations: inventory.reservations,
    shipments,
    events,
  };
}

async function withClient<T>(url: string, read: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await read(client);
  } finally {
    await client.end();
  }
}

/** Lines as the checker counts them: SKU and quantity (prices and the rest left out). */
const toLines = (lines: { sku: string; quantity: number }[] | null): OrderLine[] => (lines ?? []).map((l) => ({ sku: l.sku, quantity: Number(l.quantity) }));

function readOrders(url: string, placed: PlacedOrder[]): Promise<{ placed: PlacedOrder[]; orders: OrderRow[]; timeline: TimelineRow[] }> {
  return withClient(url, async (client) => {
    // a request without an answer may have committed: its Idempotency-Key row names the order it placed
    const unknown = placed.filter((p) => p.orderId === null).map((p) => p.idempotencyKey);
    const keys = new Map<string, string>();
    if (unknown.length > 0) {
      const { rows } = await client.query<{ key: string; order_id: string }>('SELECT key, order_id FROM idempotency_keys WHERE key = ANY($1::text[])', [
        unknown,
      ]);
      for (const r of rows) keys.set(r.key, r.order_id);
    }
    const { rows: orderRows } = await client.query<{
      id: string;
      status: string;
      lines: { sku: string; quantity: number }[];
      status_reason: string | null;
      shipment: { shipmentId?: string; status?: string } | null;
    }>('SELECT id, status, lines, status_reason, shipment FROM orders');
    const { rows: timelineRows } = await client.query<{ id: string; order_id: string; event_id: string; type: string; status: string }>(
      'SELECT id, order_id, event_id, type, status FROM order_timeline ORDER BY id',
    );
    return {
      placed: placed.map((p) => ({ ...p, orderId: p.orderId ?? keys.get(p.idempotencyKey) ?? null })),
      orders: orderRows.map((r) => ({
        id: r.id,
        status: r.status,
        lines: toLines(r.lines),
        statusReason: r.status_reason,
        shipmentStatus: r.shipment?.status ?? null,
        shipmentId: r.shipment?.shipmentId ?? null,
      })),
      timeline: timelineRows.map((r) => ({ id: Number(r.id), orderId: r.order_id, eventId: r.event_id, type: r.type, status: r.status })),
    };
  });
}

function readInventory(url: string, skus: string[] | undefined): Promise<{ products: ProductRow[]; reservations: ReservationRow[] }> {
  return withClient(url, async (client) => {
    const columns = 'SELECT sku, available, reserved, shipped, received FROM products';
    const { rows: products } = skus
      ? await client.query<ProductRow>(`${columns} WHERE sku = ANY($1::text[]) ORDER BY sku`, [skus])
      : await client.query<ProductRow>(`${columns} ORDER BY sku`);
    const { rows } = await client.query<{ order_id: string; status: string; lines: { sku: string; quantity: number }[]; shipment_id: string | null }>(
      'SELECT order_id, status, lines, shipment_id FROM reservations',
    );
    return {
      products: products.map((p) => ({ sku: p.sku, available: p.available, reserved: p.reserved, shipped: p.shipped, received: p.received })),
      reservations: rows.map((r) => ({ orderId: r.order_id, status: r.status, lines: toLines(r.lines), shipmentId: r.shipment_id })),
    };
  });
}

async function readShipments(client: Client): Promise<ShipmentRow[]> {
  const { rows } = await client.query<{ id: string; order_id: string; status: string }>('SELECT id, order_id, status FROM shipments');
  return rows.map((r) => ({ id: r.id, orderId: r.order_id, status: r.status }));
}

/** Every record of the three event topics, with the logical topic name and what its envelope says. */
async function readEvents(brokers: string, prefix: string): Promise<TopicEvent[]> {
  const logical = new Map(EVENT_TOPICS.map((t) => [`${prefix}${t}`, t]));
  const messages = await readToEnd(brokers, [...logical.keys()]);
  return messages.map((m) => ({
    topic: logical.get(m.topic)!,
    partition: m.partition,
    offset: m.offset,
    key: m.key === null || m.key === undefined ? null : m.key.toString(),
    ...readEnvelope(m.value),
  }));
}

/** The envelope's id, type and order id; null for each that a value does not hold as a string. */
export function readEnvelope(value: Buffer | null): Pick<TopicEvent, 'eventId' | 'type' | 'orderId'> {
  let envelope: unknown = null;
  try {
    envelope = value === null ? null : JSON.parse(value.toString());
  } catch {
    // not JSON: an unreadable record, judged as one with no envelope
  }
  const field = (name: string): string | null => {
    const v = envelope !== null && typeof envelope === 'object' ? (envelope as Record<string, unknown>)[name] : null;
    return typeof v === 'string' ? v : null;
  };
  return { eventId: field('id'), type: field('type'), orderId: field('orderId') };
}
