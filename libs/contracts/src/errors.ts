/**
 * Refusals a use case makes on purpose, each under a stable code that clients see (the `code` of an error
 * body). They say what went wrong in the services' own terms and carry no transport: the HTTP edge maps each
 * code to a status in one table (DOMAIN_ERROR_STATUS in libs/platform's http-error.filter.ts), which the type
 * below keeps complete. Domain code and application services throw these, or return them in a result.
 */
export type DomainErrorCode =
  // a request's own values (path parameters, headers, a cursor) that no use case can take
  | 'BAD_IDEMPOTENCY_KEY'
  | 'BAD_CURSOR'
  | 'BAD_SKU'
  // admin endpoints
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  // orders
  | 'ORDER_NOT_FOUND'
  | 'ORDER_NOT_CANCELLABLE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'DATABASE_BUSY'
  // inventory
  | 'PRODUCT_NOT_FOUND'
  | 'RESERVATION_NOT_FOUND'
  | 'STOCK_LIMIT'
  // shipping
  | 'SHIPMENT_NOT_FOUND';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

// ---- a request's own values

export class InvalidIdempotencyKey extends DomainError {
  readonly code = 'BAD_IDEMPOTENCY_KEY';
  constructor() {
    super('Idempotency-Key must be 1-200 printable ASCII characters');
  }
}

/** A list cursor that no page handed out. */
export class InvalidCursor extends DomainError {
  readonly code = 'BAD_CURSOR';
  constructor() {
    super('cursor must be the nextCursor of a previous page');
  }
}

export class InvalidSku extends DomainError {
  readonly code = 'BAD_SKU';
  constructor() {
    super('sku must be 2-40 upper-case letters, digits or dashes');
  }
}

// ---- admin endpoints

export class AdminTokenMissing extends DomainError {
  readonly code = 'UNAUTHORIZED';
  constructor() {
    super('this endpoint needs Authorization: Bearer <admin token>');
  }
}

export class AdminTokenInvalid extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor() {
    super('the admin token is not valid');
  }
}

// ---- orders

export class OrderNotFound extends DomainError {
  readonly code = 'ORDER_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`order ${orderId} does not exist`);
  }
}

/** The order is past the states a cancel may take it from; `why` names the state. */
export class OrderNotCancellable extends DomainError {
  readonly code = 'ORDER_NOT_CANCELLABLE';
  constructor(why: string) {
    super(why);
  }
}

/** The same Idempotency-Key with another request body. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('this Idempotency-Key was already used for a different request');
  }
}

/** A new order waited this long without its transaction starting (every one in flight is stuck): try again. */
export class IntakeOverloaded extends DomainError {
  readonly code = 'DATABASE_BUSY';
  constructor(readonly waitedMs: number) {
    super(`the order could not be committed within ${waitedMs} ms; try again`);
  }
}

// ---- inventory

export class ProductNotFound extends DomainError {
  readonly code = 'PRODUCT_NOT_FOUND';
  constructor(readonly sku: string) {
    super(`product ${sku} does not exist`);
  }
}

export class ReservationNotFound extends DomainError {
  readonly code = 'RESERVATION_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`no reservation for order ${orderId}`);
  }
}

/** A receipt that would take a product past the most units it can hold. */
export class StockLimitExceeded extends DomainError {
  readonly code = 'STOCK_LIMIT';
  constructor(sku: string, received: number, adding: number, limit: number) {
    super(`product ${sku} has received ${received} units; ${adding} more would pass the most one product can hold (${limit})`);
  }
}

// ---- shipping

export class ShipmentNotFound extends DomainError {
  readonly code = 'SHIPMENT_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`no shipment for order ${orderId}`);
  }
}
