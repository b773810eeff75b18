import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '@app/contracts';
import { currentTraceId, isTransientError } from '@app/messaging';

/**
 * The one place a domain error (see @app/contracts' errors) becomes HTTP: the status of each code. Use cases
 * throw or return those errors without a status; a code missing here does not compile.
 */
export const DOMAIN_ERROR_STATUS: Readonly<Record<DomainErrorCode, HttpStatus>> = {
  BAD_IDEMPOTENCY_KEY: HttpStatus.BAD_REQUEST,
  BAD_CURSOR: HttpStatus.BAD_REQUEST,
  BAD_SKU: HttpStatus.BAD_REQUEST,
  UNAUTHORIZED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  ORDER_NOT_FOUND: HttpStatus.NOT_FOUND,
  ORDER_NOT_CANCELLABLE: HttpStatus.CONFLICT,
  IDEMPOTENCY_KEY_REUSED: HttpStatus.UNPROCESSABLE_ENTITY,
  // answered with Retry-After, as any 503 (see HttpErrorFilter)
  DATABASE_BUSY: HttpStatus.SERVICE_UNAVAILABLE,
  PRODUCT_NOT_FOUND: HttpStatus.NOT_FOUND,
  RESERVATION_NOT_FOUND: HttpStatus.NOT_FOUND,
  STOCK_LIMIT: HttpStatus.CONFLICT,
  SHIPMENT_NOT_FOUND: HttpStatus.NOT_FOUND,
};

/**
 * Fastify rejects some requests before any route runs, and Nest hands those to this filter as an
 * HttpException with fastify's message: they are said in our words, under a stable code.
 */
const BODY_TOO_LARGE = { code: 'BODY_TOO_LARGE', message: 'request body is too large' };
const UNSUPPORTED_MEDIA_TYPE = { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the request body as application/json' };
const FASTIFY_400S = new Map([
  [new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY().message, { code: 'INVALID_JSON', message: 'request body is not valid JSON' }],
  [new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY().message, { code: 'INVALID_JSON', message: 'request body is empty; send a JSON object' }],
]);

function fromFastify(status: number, message: string): { code: string; message: string } | undefined {
  if (status === HttpStatus.PAYLOAD_TOO_LARGE) return BODY_TOO_LARGE;
  if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) return UNSUPPORTED_MEDIA_TYPE;
  return status === HttpStatus.BAD_REQUEST ? FASTIFY_400S.get(message) : undefined;
}

/** What a client is told of a failure that goes away by waiting (see isTransientError): retry it. */
const UNAVAILABLE = { code: 'UNAVAILABLE', message: 'the database or the broker is unavailable or busy; try again in a moment' };

/** Seconds a client is asked to wait (`Retry-After`) before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Every error becomes JSON `{ statusCode, error, code, message }`: a DomainError with its own code and
 * message, at its code's status (DOMAIN_ERROR_STATUS); a Nest HttpException (fastify's body errors among
 * them); a failure that goes away by waiting (the database down, unreachable or out of connections, a
 * deadlock, a statement cancelled) a 503 the client may retry; anything else a 500 without internals.
 */
export function toErrorResponse(exception: unknown): { status: number; body: Record<string, unknown> } {
  if (exception instanceof DomainError) {
    const status = DOMAIN_ERROR_STATUS[exception.code];
    return { status, body: { statusCode: status, error: HttpStatus[status], code: exception.code, message: exception.message } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const known = typeof response === 'string' ? fromFastify(status, response) : undefined;
    if (known) return { status, body: { statusCode: status, error: HttpStatus[status], ...known } };
    const body = typeof response === 'string' ? { statusCode: status, error: HttpStatus[status], message: response } : (response as Record<string, unknown>);
    return { status, body: { code: HttpStatus[status], ...body } };
  }
  if (isTransientError(exception)) {
    return { status: 503, body: { statusCode: 503, error: HttpStatus[503], ...UNAVAILABLE } };
  }
  return { status: 500, body: { statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'unexpected error; it has been logged' } };
}

/** Nest's side of the same mapping: errors thrown by guards, pipes, controllers and use cases. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    // the Kafka transport inherits this filter (inheritAppConfig): a handler's error must reach the inbox
    // consumer, which rolls its batch back and retries or dead-letters the message (inbox.int-spec checks it)
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(exception);
    if (status === 503) {
      // the client is told to retry, and whatever failed is down for everyone: one line, not a stack per request
      if (!(exception instanceof HttpException)) this.logger.warn(`503 (retry): ${describe(exception)}`);
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    } else if (status >= 500 && !(exception instanceof HttpException)) {
      const request = host.switchToHttp().getRequest<FastifyRequest>();
      this.logger.error({ msg: `${request.method} ${request.url}: ${describe(exception)}`, err: exception, traceId: currentTraceId() });
    }
    void reply.status(status).send(body);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string } | undefined;
  return [e?.code, e?.message ?? String(err)].filter(Boolean).join(' ');
}
