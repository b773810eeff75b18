import { BadRequestException } from '@nestjs/common';

/** Deepest nesting of arrays and objects a JSON request body may have; the DTOs need 3 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * The 400 of a body refused before parsing: the validation pipe walks a parsed body recursively, so a
 * body of a few thousand nested brackets would overflow the stack there (a 500).
 */
export function tooDeep(): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    code: 'BODY_TOO_DEEP',
    message: `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
  });
}

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** True when the JSON text nests arrays and objects deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}
