import { DeadLetter, OrderPlacedV1, ShipmentFailedV1, ShipmentScheduledV1, StockRejectedV1, StockReservedV1 } from '@app/contracts';

/**
 * The events a service must apply for an order to move on, by service. One of them dead-lettered, the
 * order can never reach a final state by itself. Any other dead letter (a cancellation inventory could
 * not apply, a shipment it could not mark shipped, a type a consumer does not know) leaves the order's
 * path open, or the order already final: it is an operator's to look at, not a reason to cancel.
 */
const STEPS: Readonly<Record<string, readonly string[]>> = {
  inventory: [OrderPlacedV1.type],
  shipping: [OrderPlacedV1.type, StockReservedV1.type],
  orders: [StockReservedV1.type, StockRejectedV1.type, ShipmentScheduledV1.type, ShipmentFailedV1.type],
};

export type DeadLetterDecision = { cancel: true; reason: string } | { cancel: false; why: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** OrderCancelledV1.reason holds at most 500 characters. */
const MAX_REASON = 500;

/** Whether a dead letter stops its order for good, and if so the reason its cancellation gives. */
export function decideOnDeadLetter(letter: DeadLetter): DeadLetterDecision {
  if (!letter.key || !UUID.test(letter.key)) return { cancel: false, why: `its key ${JSON.stringify(letter.key)} is not an order id` };
  if (!letter.eventType || !(STEPS[letter.consumer] ?? []).includes(letter.eventType)) {
    return { cancel: false, why: `${letter.consumer} applying ${letter.eventType ?? 'an unnamed event'} is not a step the order needs to move on` };
  }
  const tail = '); cancelled by the system';
  const head = `${letter.consumer} could not apply ${letter.eventType} (${letter.errorCode}: ${letter.errorMessage}`;
  return { cancel: true, reason: head.slice(0, MAX_REASON - tail.length) + tail };
}
