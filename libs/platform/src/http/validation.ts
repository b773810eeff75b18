import { BadRequestException, ValidationError } from '@nestjs/common';
import { describeValidationErrors } from '@app/contracts';

/** 400 with one readable message per problem, field paths included (e.g. `lines.0.quantity`). */
export function validationExceptionFactory(errors: ValidationError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: describeValidationErrors(errors) });
}

/**
 * Where a parsed body or query holds a string with the NUL character (`\u0000`), as field paths.
 * PostgreSQL cannot store it in text or jsonb: without this check such a request would pass
 * validation and end in a 500 from the database.
 */
export function nulCharacterPaths(value: unknown): string[] {
  const found: string[] = [];
  // iterative, so a deeply nested body cannot overflow the stack
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) found.push(path || '(body)');
    } else if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\u0000')) found.push(path ? `${path}.(a key)` : '(a key)');
        pending.push([child, path ? `${path}.${key}` : key]);
      }
    }
  }
  return found.sort();
}

/** The 400 of a request whose body or query holds the NUL character, in the validation errors' shape. */
export function nulCharacterResponse(paths: string[]): { statusCode: number; error: string; code: string; message: string[] } {
  return { statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: paths.map((p) => `${p} must not contain the NUL character (\\u0000)`) };
}
