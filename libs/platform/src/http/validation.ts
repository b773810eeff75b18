import { BadRequestException, ValidationError } from '@nestjs/common';
import { describeValidationErrors } from '@app/contracts';

/** 400 with one readable message per problem, field paths included (e.g. `lines.0.quantity`). */
export function validationExceptionFactory(errors: ValidationError[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: describeValidationErrors(errors) });
}
