import { CONFLICTING_FACT, DeadLetter, OrderPlacedV1, ShipmentFailedV1, ShipmentScheduledV1, StockRejectedV1, StockReservedV1 } from '@app/contracts';
import { OrderStatus } from './order';

/**
 * The events a service must apply for an order to move on, by service, and the states the order waits in
 * for each. One of them dead-lettered while the order still waits there, the order can never reach a final
 * state by itself. Any other dead letter (a cancellation inventory could not apply, a shipment it could not
 * mark shipped, an order that moved on since) leaves the order as it is: an operator's to look at.
 */
const STEPS: Readonly<Record<string, Readonly<Record<string, readonly OrderStatus[]>>>> = {
  inventory: { [OrderPlacedV1.type]: ['PENDING'] },
  shipping: { [OrderPlacedV1.type]: ['PENDING', 'RESERVED'], [StockReservedV1.type]: ['PENDING', 'RESERVED'] },
  orders: {
    [StockReservedV1.type]: ['PENDING'],
    [StockRejectedV1.type]: ['PENDING'],
    [ShipmentScheduledV1.type]: ['PENDING', 'RESERVED'],
    [ShipmentFailedV1.type]: ['PENDING', 'RESERVED'],
  },
};

/**
 * Dead letters of a message that did not fit the consumer's contract: not an envelope, a type or version it
 * does not know, data its version does not accept. During a rolling upgrade or a rollback, consumers meet
 * events of a version they do not read, and a replay once the right version runs applies them: these are
 * left to the deadline. Only a handler that kept failing on an event it reads (HANDLER_FAILED, or a handler's
 * own permanent error) stops the order.
 */
const CONTRACT_CODES: ReadonlySet<string> = new Set(['NOT_JSON', 'BAD_ENVELOPE', 'UNKNOWN_TYPE', 'UNKNOWN_VERSION', 'UNHANDLED_VERSION', 'INVALID_DATA']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type DeadLetterStep = { stops: true; orderId: string; waitsIn: readonly OrderStatus[]; reason: string } | { stops: false; why: string };

/**
 * Whether a dead letter is of a step its order needs, and if so the states the order waits in for it and the
 * reason its cancellation gives (the order is cancelled only if, locked, it still waits there: decideCancel
 * with `waitsIn`). The reason is shown to the customer (the order's statusReason): it names the service, the
 * event and the error's code; the error's text, which may hold SQL or internals, stays in the logs.
 */
export function deadLetterStep(letter: DeadLetter): DeadLetterStep {
  if (!letter.key || !UUID.test(letter.key)) return { stops: false, why: `its key ${JSON.stringify(letter.key)} is not an order id` };
  if (CONTRACT_CODES.has(letter.errorCode)) return { stops: false, why: `${letter.errorCode} is a contract mismatch, left to the deadline or a replay` };
  if (letter.errorCode === CONFLICTING_FACT) return { stops: false, why: 'the event contradicts what the order holds, which stays as it is' };
  const waitsIn = letter.eventType ? STEPS[letter.consumer]?.[letter.eventType] : undefined;
  if (!waitsIn) return { stops: false, why: `${letter.consumer} applying ${letter.eventType ?? 'an unnamed event'} is not a step the order needs to move on` };
  const reason = `${letter.consumer} could not process ${letter.eventType} (${letter.errorCode.slice(0, 100)}); cancelled by the system`;
  return { stops: true, orderId: letter.key, waitsIn, reason };
}
