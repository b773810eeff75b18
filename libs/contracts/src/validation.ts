import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EventEnvelope } from './envelope';
import { EventClass, findEventClass, isKnownType } from './events/registry';

/** Why a message cannot be accepted as an event; stable codes for logs and dead-letter headers. */
export type EnvelopeErrorCode = 'NOT_JSON' | 'BAD_ENVELOPE' | 'UNKNOWN_TYPE' | 'UNKNOWN_VERSION' | 'INVALID_DATA';

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Flattens class-validator errors into `path: constraint` messages a person can act on. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? `${parent ? parent + '.' : ''}${m}` : `${path}: ${m}`));
    return [...own, ...describeValidationErrors(e.children ?? [], path)];
  });
}

/** Builds a class instance from plain data and validates it; throws with every problem listed. */
export function validateData<T extends object>(dataClass: EventClass<T>, data: unknown): T {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new EnvelopeError('INVALID_DATA', `${dataClass.type} v${dataClass.version}: data must be an object`);
  }
  const instance = plainToInstance(dataClass, data);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new EnvelopeError(
      'INVALID_DATA',
      `${dataClass.type} v${dataClass.version} failed validation: ${describeValidationErrors(errors).join('; ')}`,
    );
  }
  return instance;
}

/**
 * Parses and validates a raw message value into an envelope whose `data` is an instance of the
 * registered class for its type and version. Throws EnvelopeError (a permanent failure).
 */
export function parseEnvelope(raw: Buffer | string | null | undefined): EventEnvelope<object> {
  if (raw === null || raw === undefined) throw new EnvelopeError('NOT_JSON', 'message has no value');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw);
  } catch (err) {
    throw new EnvelopeError('NOT_JSON', `message value is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EnvelopeError('BAD_ENVELOPE', 'message value must be a JSON object (an event envelope)');
  }
  const e = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.id !== 'string' || !UUID.test(e.id)) problems.push('id must be a uuid');
  if (typeof e.type !== 'string' || e.type.length === 0) problems.push('type must be a non-empty string');
  if (!Number.isInteger(e.version) || (e.version as number) < 1) problems.push('version must be a positive integer');
  if (typeof e.occurredAt !== 'string' || Number.isNaN(Date.parse(e.occurredAt))) problems.push('occurredAt must be an ISO-8601 date');
  if (typeof e.orderId !== 'string' || !UUID.test(e.orderId)) problems.push('orderId must be a uuid');
  if (typeof e.correlationId !== 'string' || e.correlationId.length === 0) problems.push('correlationId must be a non-empty string');
  if (e.causationId !== null && e.causationId !== undefined && typeof e.causationId !== 'string') problems.push('causationId must be a string or null');
  if (!('data' in e)) problems.push('data is missing');
  if (problems.length > 0) throw new EnvelopeError('BAD_ENVELOPE', `invalid event envelope: ${problems.join('; ')}`);

  const type = e.type as string;
  const version = e.version as number;
  const dataClass = findEventClass(type, version);
  if (!dataClass) {
    throw isKnownType(type)
      ? new EnvelopeError('UNKNOWN_VERSION', `${type} version ${version} is not supported by this consumer`)
      : new EnvelopeError('UNKNOWN_TYPE', `unknown event type ${type}`);
  }
  return {
    id: e.id as string,
    type,
    version,
    occurredAt: e.occurredAt as string,
    orderId: e.orderId as string,
    correlationId: e.correlationId as string,
    causationId: (e.causationId as string | null | undefined) ?? null,
    data: validateData(dataClass, e.data),
  };
}
