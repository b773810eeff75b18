import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { errorCodes } from 'fastify';
import {
  AdminTokenInvalid,
  AdminTokenMissing,
  DomainError,
  IdempotencyKeyReused,
  IntakeOverloaded,
  InvalidCursor,
  InvalidIdempotencyKey,
  InvalidSku,
  OrderNotCancellable,
  OrderNotFound,
  ProductNotFound,
  ReservationNotFound,
  ShipmentNotFound,
  StockLimitExceeded,
} from '@app/contracts';
import { toErrorResponse } from './http-error.filter';

/** Nest hands fastify's own body errors to the filter as HttpException(message, statusCode). */
const asNestSeesIt = (error: Error & { statusCode?: number }) => new HttpException(error.message, error.statusCode!);

describe('toErrorResponse', () => {
  it('keeps a DomainError code and message, at the status of its code', () => {
    expect(toErrorResponse(new OrderNotCancellable('order is CONFIRMED'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'CONFLICT', code: 'ORDER_NOT_CANCELLABLE', message: 'order is CONFIRMED' },
    });
  });

  it.each<[DomainError, number, string]>([
    [new InvalidIdempotencyKey(), 400, 'BAD_REQUEST'],
    [new InvalidCursor(), 400, 'BAD_REQUEST'],
    [new InvalidSku(), 400, 'BAD_REQUEST'],
    [new AdminTokenMissing(), 401, 'UNAUTHORIZED'],
    [new AdminTokenInvalid(), 403, 'FORBIDDEN'],
    [new OrderNotFound('o-1'), 404, 'NOT_FOUND'],
    [new IdempotencyKeyReused(), 422, 'UNPROCESSABLE_ENTITY'],
    [new IntakeOverloaded(5000), 503, 'SERVICE_UNAVAILABLE'],
    [new ProductNotFound('KB-001'), 404, 'NOT_FOUND'],
    [new ReservationNotFound('o-1'), 404, 'NOT_FOUND'],
    [new StockLimitExceeded('KB-001', 10, 5, 12), 409, 'CONFLICT'],
    [new ShipmentNotFound('o-1'), 404, 'NOT_FOUND'],
  ])('answers %s with %i', (error, status, name) => {
    expect(toErrorResponse(error)).toEqual({ status, body: { statusCode: status, error: name, code: error.code, message: error.message } });
  });

  it("says fastify's body errors in our words, under stable codes", () => {
    expect(toErrorResponse(asNestSeesIt(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()))).toEqual({
      status: 413,
      body: { statusCode: 413, error: 'PAYLOAD_TOO_LARGE', code: 'BODY_TOO_LARGE', message: 'request body is too large' },
    });
    expect(toErrorResponse(asNestSeesIt(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY())).body).toMatchObject({
      code: 'INVALID_JSON',
      message: 'request body is not valid JSON',
    });
    expect(toErrorResponse(asNestSeesIt(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY())).body).toMatchObject({ code: 'INVALID_JSON' });
    expect(toErrorResponse(asNestSeesIt(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('application/xml'))).body).toMatchObject({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('leaves other HTTP exceptions as Nest shaped them, with a code', () => {
    expect(toErrorResponse(new BadRequestException('cursor is not valid'))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', code: 'BAD_REQUEST', message: 'cursor is not valid' },
    });
    expect(toErrorResponse(new NotFoundException()).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('turns a failure that goes away by waiting into a 503 the client may retry, revealing nothing', () => {
    const unavailable = {
      status: 503,
      body: {
        statusCode: 503,
        error: 'SERVICE_UNAVAILABLE',
        code: 'UNAVAILABLE',
        message: 'the database or the broker is unavailable or busy; try again in a moment',
      },
    };
    // the database down (node-postgres' socket error), restarting, cancelling a statement; TypeORM wraps driver errors
    expect(toErrorResponse(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toEqual(unavailable);
    expect(toErrorResponse(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toEqual(unavailable);
    expect(
      toErrorResponse(Object.assign(new Error('query failed'), { driverError: { code: '57014', message: 'canceling statement due to statement timeout' } })),
    ).toEqual(unavailable);
    expect(toErrorResponse(new Error('timeout exceeded when trying to connect'))).toEqual(unavailable);
    // a failover under way: the server the address leads to takes no writes yet
    expect(
      toErrorResponse(
        Object.assign(new Error('query failed'), { driverError: { code: '25006', message: 'cannot execute INSERT in a read-only transaction' } }),
      ),
    ).toEqual(unavailable);
    // a failure that waiting does not cure stays a 500
    expect(toErrorResponse(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })).status).toBe(500);
  });

  it('turns anything else into a 500 that reveals nothing', () => {
    expect(toErrorResponse(new Error('password=hunter2 in a stack trace'))).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'unexpected error; it has been logged' },
    });
  });
});
