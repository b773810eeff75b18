import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';

/** Environment strings to numbers; anything that is not a number stays as given so validation names it. */
export const ToInt = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  });

/** Like ToInt, for a decimal number (e.g. a ratio: 0.25, .5, 1). */
export const ToNumber = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    return /^-?(\d+\.?\d*|\.\d+)$/.test(value.trim()) ? Number(value) : value;
  });

export const ToBool = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });

export const ToList = () =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  );

/** A number setting that may not exceed another (numeric) setting of the same config. */
export const AtMostSetting = (other: string, options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'atMostSetting',
      constraints: [other],
      validator: {
        validate: (value, args) => {
          const limit = (args?.object as Record<string, unknown>)[other];
          return typeof value !== 'number' || typeof limit !== 'number' || value <= limit;
        },
        defaultMessage: (args) => `${args?.property} must be at most ${other} (${String((args?.object as Record<string, unknown>)[other])})`,
      },
    },
    options,
  );
