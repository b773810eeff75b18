import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, ValidateNested } from 'class-validator';

type Ctor = new () => object;

function all(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/**
 * A required nested object, validated as `cls`. `@ValidateNested` alone lets a missing value through
 * and validates an array's elements in place of the object (`[]` passes), so the shape is checked too.
 */
export function NestedObject(cls: () => Ctor): PropertyDecorator {
  return all(
    IsDefined({ message: ({ property }) => `${property} is required (an object)` }),
    IsObject({ message: ({ property }) => `${property} must be an object (not an array)` }),
    ValidateNested(),
    Type(cls),
  );
}

/**
 * A required array of `min` to `max` objects, each validated as `cls`. Without `@IsArray` an object passes
 * for the array, and without `@IsObject({ each })` an inner array (`[[]]`) passes for an element.
 */
export function NestedArray(cls: () => Ctor, { min, max, minMessage }: { min: number; max?: number; minMessage?: string }): PropertyDecorator {
  return all(
    IsArray({ message: ({ property }) => `${property} must be an array` }),
    ArrayMinSize(min, minMessage ? { message: minMessage } : undefined),
    ...(max === undefined ? [] : [ArrayMaxSize(max)]),
    IsObject({ each: true, message: ({ property }) => `each item of ${property} must be an object` }),
    ValidateNested({ each: true }),
    Type(cls),
  );
}
