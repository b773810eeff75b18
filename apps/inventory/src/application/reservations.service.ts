import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CONFLICTING_FACT, EventEnvelope, OrderCancelledV1, OrderPlacedV1, StockRejectedV1, StockReleasedV1, StockReservedV1 } from '@app/contracts';
import { Outbox, PermanentEventError } from '@app/messaging';
import { decideReservation, decideStep, ReservationStep, shipmentConflict } from '../domain/stock';
import { StockRepository } from '../persistence/stock.repository';

/** Reserves an order's stock (all lines or none) and moves reservations along the saga. */
@Injectable()
export class ReservationsService {
  constructor(
    private readonly stock: StockRepository,
    private readonly outbox: Outbox,
  ) {}

  async reserve(tx: EntityManager, placed: EventEnvelope<OrderPlacedV1>, now = new Date()): Promise<void> {
    // both go out together (one round trip with a pipelining client); locks are taken in this order
    const [existing, products] = await Promise.all([
      this.stock.lockReservation(tx, placed.orderId),
      this.stock.lockProducts(
        tx,
        placed.data.lines.map((l) => l.sku),
      ),
    ]);
    // already decided (reserved, rejected or cancelled first): the same order placed again under another event id changes nothing
    if (existing) return;
    const decision = decideReservation(placed.data.lines, products);
    const context = { orderId: placed.orderId, correlationId: placed.correlationId, causationId: placed.id, occurredAt: now };
    switch (decision.kind) {
      case 'reject':
        await this.stock.recordEmpty(tx, placed.orderId, 'REJECTED', now);
        await this.outbox.enqueue(tx, [{ ...context, data: Object.assign(new StockRejectedV1(), { reasons: decision.reasons }) }]);
        return;
      case 'refuse':
        // no StockRejected can say it: dead-lettered, which has orders cancel the order (see MIXED_CURRENCIES)
        throw new PermanentEventError(decision.code, `order ${placed.orderId}: ${decision.why}`);
      case 'reserve': {
        await this.stock.reserve(tx, placed.orderId, decision, now);
        const data = Object.assign(new StockReservedV1(), { lines: decision.lines, totalCents: decision.totalCents, currency: decision.currency });
        await this.outbox.enqueue(tx, [{ ...context, data }]);
        return;
      }
    }
  }

  /**
   * release: a RESERVED order was cancelled or its shipment failed -> units back to available.
   * ship: its shipment is scheduled -> units leave reserved for shipped.
   * return: a scheduled shipment was cancelled -> shipped units back to available.
   */
  async move(tx: EntityManager, cause: EventEnvelope<object>, step: ReservationStep, shipmentId?: string, now = new Date()): Promise<void> {
    // the reservation, then its products, locked in one round trip with a pipelining client
    const [reservation] = await Promise.all([this.stock.lockReservation(tx, cause.orderId), this.stock.lockProductsOfReservation(tx, cause.orderId)]);
    if (!reservation) {
      // Cancelled before its stock was reserved: its OrderPlaced comes later, if at all (dead-lettered, then
      // replayed by hand after the order's deadline cancelled it). An empty RELEASED reservation records
      // that, so the late OrderPlaced finds the order decided and reserves nothing that would never return.
      if (cause.type === OrderCancelledV1.type) await this.stock.recordEmpty(tx, cause.orderId, 'RELEASED', now);
      return;
    }
    const conflict = shipmentConflict(reservation, shipmentId);
    if (conflict) throw new PermanentEventError(CONFLICTING_FACT, `${cause.type} ${cause.id} contradicts the reservation: ${conflict}`);
    const moved = decideStep(reservation, step);
    if (!moved) return; // late or repeated: the reservation has already moved on
    await this.stock.move(tx, cause.orderId, moved.deltas, moved.status, now, step === 'ship' ? (shipmentId ?? null) : null);
    if (moved.status === 'RELEASED') {
      const data = Object.assign(new StockReleasedV1(), { cause: cause.type });
      await this.outbox.enqueue(tx, [{ data, orderId: cause.orderId, correlationId: cause.correlationId, causationId: cause.id, occurredAt: now }]);
    }
  }
}
