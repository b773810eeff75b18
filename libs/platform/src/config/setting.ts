import { getMetadataStorage } from 'class-validator';

/** class-validator's record of one validation decorator (its class is not exported by name). */
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/**
 * The documentation of one setting, written next to its property in a config class with `@Setting`.
 * `.env.example` and docs/configuration.md are generated from it (`npm run config:docs`), together with
 * what the class itself says: the default (the property's initialiser), whether it is required, and
 * the allowed values (its class-validator decorators). So the text says what the setting does and
 * when to change it, not its range or default.
 */
export interface SettingDoc {
  /** What the setting does. Whitespace is collapsed, so a template literal may span lines. */
  doc: string;
  /** The value shown in .env.example when it is not the default (e.g. for a required setting). */
  example?: string;
  /** A credential: documented as one, and .env.example shows only a development placeholder. */
  secret?: boolean;
}

/** A setting as documented: its `@Setting` text and what its class says about it. */
export interface SettingInfo {
  name: string;
  /** Undefined when the property has no `@Setting` (a test fails on it). */
  doc?: string;
  example?: string;
  secret: boolean;
  /** The initialiser's value; undefined when there is none. */
  defaultValue: unknown;
  /** No default and not `@IsOptional()`: the service does not start without it. */
  required: boolean;
  /** The allowed values in words, from the class-validator decorators, e.g. ["integer 1-100"]. */
  rules: string[];
}

const docs = new WeakMap<object, Map<string, SettingDoc>>();

/** Documents a setting of a config class; see SettingDoc. Changes nothing in how it is read or validated. */
export function Setting(setting: SettingDoc): PropertyDecorator {
  return (prototype, property) => {
    if (typeof property !== 'string') throw new Error('@Setting documents a property named like its environment variable');
    let own = docs.get(prototype);
    if (!own) docs.set(prototype, (own = new Map()));
    own.set(property, { ...setting, doc: setting.doc.replace(/\s+/g, ' ').trim() });
  };
}

/** The `@Setting` of `name` on `configClass` or the class it extends (an `override PORT = 3001` keeps the base's text). */
function docOf(configClass: Function, name: string): SettingDoc | undefined {
  for (let proto = configClass.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const found = docs.get(proto)?.get(name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Every setting of `configClass` in declaration order (the base class's first): the properties of an
 * instance (fields without an initialiser are own properties too, as loadConfig relies on) and any
 * property that only has validation decorators.
 */
export function describeSettings(configClass: new () => object): SettingInfo[] {
  const instance = new configClass() as Record<string, unknown>;
  const validations = getMetadataStorage().getTargetValidationMetadatas(configClass, '', true, false);
  const names = [...new Set([...Object.keys(instance), ...validations.map((v) => v.propertyName)])];
  return names.map((name) => {
    const own = validations.filter((v) => v.propertyName === name);
    const setting = docOf(configClass, name);
    const optional = own.some((v) => v.name === 'isOptional');
    return {
      name,
      doc: setting?.doc,
      example: setting?.example,
      secret: setting?.secret ?? false,
      defaultValue: instance[name],
      required: instance[name] === undefined && !optional,
      rules: describeRules(own),
    };
  });
}

const characters = (n: number) => `${n} character${n === 1 ? '' : 's'}`;

/** One phrase per rule (min and max together), in the order the decorators are written. */
function describeRules(validations: ValidationMetadata[]): string[] {
  // decorators apply bottom-up, so the metadata lists them last-written first
  const ordered = [...validations].reverse();
  const min = ordered.find((v) => v.name === 'min')?.constraints[0] as number | undefined;
  const max = ordered.find((v) => v.name === 'max')?.constraints[0] as number | undefined;
  const range = min !== undefined && max !== undefined ? `${min}-${max}` : min !== undefined ? `at least ${min}` : max !== undefined ? `at most ${max}` : '';
  const isInt = ordered.some((v) => v.name === 'isInt');
  const rules: string[] = [];
  let rangeShown = false;
  for (const v of ordered) {
    const each = v.each ? 'each entry ' : '';
    const [first] = v.constraints ?? [];
    switch (v.name) {
      case 'isOptional':
      case 'isString':
        break; // environment values are strings; optional shows as "not required"
      case 'isInt':
        rules.push(range ? `integer${range.startsWith('at') ? ', ' : ' '}${range}` : 'integer');
        break;
      case 'min':
      case 'max':
        if (!isInt && !rangeShown) rules.push(range);
        rangeShown = true;
        break;
      case 'isBoolean':
        rules.push('true or false');
        break;
      case 'isIn':
        rules.push(`one of ${(first as unknown[]).join(', ')}`);
        break;
      case 'matches':
        rules.push(`${each}matching /${first instanceof RegExp ? first.source : String(first)}/`);
        break;
      case 'arrayMinSize':
        rules.push(`a comma-separated list of at least ${first} ${first === 1 ? 'entry' : 'entries'}`);
        break;
      case 'minLength':
        rules.push(`${each}at least ${characters(first as number)}`);
        break;
      case 'maxLength':
        rules.push(`${each}at most ${characters(first as number)}`);
        break;
      case 'isNotEmpty':
        rules.push(`${each}not empty`);
        break;
      case 'atMostSetting':
        rules.push(`at most ${String(first)}`);
        break;
      case 'isISO31661Alpha2':
        rules.push(`${each}an ISO 3166-1 alpha-2 country code`);
        break;
      default:
        rules.push(`${each}${v.name ?? v.type}${v.constraints?.length ? ` ${v.constraints.map(String).join(', ')}` : ''}`);
    }
  }
  return rules;
}
