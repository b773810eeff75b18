import { BadRequestException, ValidationError } from '@nestjs/common';
import { describeValidationErrors } from '@app/contracts';

/** 400 with one readable message per problem, field paths included (e.g. `lines.0.quantity`). */
export function validationExceptionFactory(errors: ValidationError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: describeValidationErrors(errors) });
}

/** A UTF-16 surrogate without its other half: JSON can carry it (`"\ud800"`) but it is no character. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored, or null: PostgreSQL stores neither the NUL character (`\u0000`) in
 * text or jsonb, nor a lone UTF-16 surrogate in jsonb (and would silently turn one into U+FFFD in
 * text). Such a request passes class-validator: without this check it would end in a 500 from the
 * database.
 */
function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode text (it holds a lone UTF-16 surrogate, one of \\ud800-\\udfff)';
  return null;
}

/** One message per string of a parsed body or query that PostgreSQL cannot store, by field path. */
export function unstorableTextProblems(value: unknown): string[] {
  const found: string[] = [];
  // iterative, so a deeply nested body cannot overflow the stack
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      const why = unstorable(item);
      if (why) found.push(`${path || '(body)'} ${why}`);
    } else if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) {
      for (const [key, child] of Object.entries(item)) {
        const why = unstorable(key);
        if (why) found.push(`${path ? `${path}.(a key)` : '(a key)'} ${why}`);
        pending.push([child, path ? `${path}.${key}` : key]);
      }
    }
  }
  return found.sort();
}

/** The 400 of a request whose body or query holds text PostgreSQL cannot store, in the validation errors' shape. */
export function unstorableTextResponse(messages: string[]): { statusCode: number; error: string; code: string; message: string[] } {
  return { statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: messages };
}
