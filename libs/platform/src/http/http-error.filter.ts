import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** Errors a use case raises on purpose, with a stable code and the HTTP status it maps to. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * Every error becomes JSON `{ statusCode, error, code, message }`. Body-parser errors (bad JSON,
 * body too large) keep their 4xx status; anything unexpected is a logged 500 without internals.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toResponse(exception);
    if (status >= 500 && !(exception instanceof HttpException)) this.logger.error((exception as Error)?.stack ?? String(exception));
    res.status(status).json(body);
  }

  private toResponse(exception: unknown): { status: number; body: Record<string, unknown> } {
    if (exception instanceof DomainError) {
      return {
        status: exception.status,
        body: { statusCode: exception.status, error: HttpStatus[exception.status], code: exception.code, message: exception.message },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const body = typeof response === 'string' ? { statusCode: status, message: response } : (response as Record<string, unknown>);
      return { status, body: { code: HttpStatus[status], ...body } };
    }
    const e = exception as { status?: number; type?: string; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      const message =
        e.type === 'entity.too.large' ? 'request body is too large' : e.type === 'entity.parse.failed' ? 'request body is not valid JSON' : e.message;
      return { status: e.status, body: { statusCode: e.status, error: HttpStatus[e.status], code: e.type ?? 'BAD_REQUEST', message } };
    }
    return { status: 500, body: { statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'unexpected error; it has been logged' } };
  }
}
