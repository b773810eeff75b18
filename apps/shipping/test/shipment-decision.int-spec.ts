import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OrderPlacedV1, ShipmentScheduledV1, StockReservedV1, Topics } from '@app/contracts';
import { anEnvelope, query, readTopics, serviceForSuite, waitUntil } from '@app/testing';
import { ShipmentsService } from '../src/application/shipments.service';
import { shippingService } from '../src/shipping.definition';

describe("shipping decides an order's shipment once, when two transactions complete what it knows at once (real PostgreSQL, real Kafka)", () => {
  const suite = serviceForSuite(shippingService);

  it("the transaction that waited for the first one's lock on the order schedules nothing: one shipment, one ShipmentScheduled", async () => {
    const order = { orderId: randomUUID(), correlationId: randomUUID() };
    const placed = anEnvelope(
      OrderPlacedV1,
      {
        customerId: 'customer-1',
        lines: [{ sku: 'KB-001', quantity: 1 }],
        shippingAddress: { name: 'Ada', line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      },
      order,
    );
    const reserved = () =>
      anEnvelope(StockReservedV1, { lines: [{ sku: 'KB-001', quantity: 1, unitPriceCents: 8999 }], totalCents: 8999, currency: 'EUR' }, order);
    const { orderId } = order;
    const service = suite.running.app.get(ShipmentsService);
    const dataSource = suite.running.app.get(DataSource);
    await dataSource.transaction((tx) => service.onOrderPlaced(tx, placed));

    // the first knows the destination and the reservation: it schedules, and holds the order's request row
    const first = dataSource.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    try {
      await service.onStockReserved(first.manager, reserved());
      // a second reservation event (another event id: the inbox lets it through) waits for that row
      const second = dataSource.transaction((tx) => service.onStockReserved(tx, reserved()));
      await waitUntil(
        "the second transaction to wait for the first one's lock",
        async () =>
          (await query(suite.databaseUrl, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length > 0,
      );
      await first.commitTransaction();
      await second;
    } finally {
      if (first.isTransactionActive) await first.rollbackTransaction();
      await first.release();
    }

    expect(await query(suite.databaseUrl, 'SELECT status FROM shipments WHERE order_id = $1', [orderId])).toEqual([{ status: 'SCHEDULED' }]);
    const published = await readTopics(suite.brokers, [`${suite.prefix}${Topics.ShippingEvents}`], { idleMs: 1500, timeoutMs: 15_000 });
    const scheduled = published.filter((m) => m.key?.toString() === orderId).map((m) => JSON.parse(m.value!.toString()).type);
    expect(scheduled).toEqual([ShipmentScheduledV1.type]);
  });
});
