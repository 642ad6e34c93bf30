/**
 * One typed option schema per method: name, type, default, range and one line of help for every
 * option a method's `fit` accepts. The CLI derives `train`'s flags and every `--help` table from it,
 * and {@link checkOptions} validates (and, for CLI strings, converts) the options of every call
 * before any work starts, so an unknown or malformed option is an `E_OPTION` naming the valid ones.
 *
 * Defaults stay in the method's `defaults` object (with their sources); the schema says what a value
 * may be. {@link inferSchema} gives methods registered without a schema (user plug-ins, tests) one
 * derived from their defaults.
 */
import { InputError } from '../core/errors.js';
import { suggestName } from '../core/suggest.js';

/** The kinds of value an option holds. Lists and JSON may be given as strings on the command line. */
export type OptionType =
  | 'integer'
  | 'number'
  | 'boolean'
  | 'string'
  | 'enum'
  | 'integer-list'
  | 'number-list'
  | 'string-list'
  /** An object or array (CLI: JSON text). */
  | 'json';

/** One option of a method. */
export interface OptionDef {
  type: OptionType;
  /** One line for `--help` and docs/METHODS.md. */
  help: string;
  /** Allowed values of an 'enum' (or of each item of a 'string-list'). */
  values?: readonly string[];
  /** Inclusive bounds of a number (or of each item of a number list). */
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  gt?: number;
  lt?: number;
  /** Whether `undefined` is a valid value (an option whose default is "not set"). */
  optional?: boolean;
  /**
   * Flag of `celldeconv train <method>`: default the kebab-case name (`batchSize` -> `--batch-size`);
   * `false` = library only (in-memory values such as paired data objects).
   */
  flag?: string | false;
  /** A value the types above cannot say (e.g. DWLS `dampening`: 'auto', a number or a list): returns the value or throws. */
  parse?: (value: unknown) => unknown;
  /** What {@link OptionDef.parse} accepts, for messages and help. */
  expected?: string;
}

/** Every option of `O`, each described once. */
export type OptionSchema<O> = { readonly [K in keyof O]-?: OptionDef };

/** A schema keyed by plain strings (what the registry hands around). */
export type AnySchema = Readonly<Record<string, OptionDef>>;

/** `batchSize` -> `batch-size`, `nHvg` -> `n-hvg`. */
export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The `train` flag of option `name`, or undefined when it is library only. */
export function optionFlag(name: string, def: OptionDef): string | undefined {
  if (def.flag === false) return undefined;
  return def.flag ?? kebabCase(name);
}

/** Human-readable allowed values of an option: "an integer >= 1", "one of zinb, nb", ... */
export function expectedValue(def: OptionDef): string {
  if (def.expected) return def.expected;
  const range = [
    def.min !== undefined ? `>= ${def.min}` : '',
    def.gt !== undefined ? `> ${def.gt}` : '',
    def.max !== undefined ? `<= ${def.max}` : '',
    def.lt !== undefined ? `< ${def.lt}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const r = range ? ` ${range}` : '';
  switch (def.type) {
    case 'integer':
      return `an integer${r}`;
    case 'number':
      return `a number${r}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'enum':
      return `one of ${(def.values ?? []).join(', ')}`;
    case 'integer-list':
      return `a comma-separated list of integers${r}`;
    case 'number-list':
      return `a comma-separated list of numbers${r}`;
    case 'string-list':
      return def.values ? `a comma-separated list of ${def.values.join(', ')}` : 'a comma-separated list';
    case 'json':
      return 'a JSON value';
  }
}

function inRange(v: number, def: OptionDef): boolean {
  return (
    (def.min === undefined || v >= def.min) &&
    (def.max === undefined || v <= def.max) &&
    (def.gt === undefined || v > def.gt) &&
    (def.lt === undefined || v < def.lt)
  );
}

/** Parses a CLI number strictly ("" and "12abc" are not numbers). */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

function toList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('[')) {
      try {
        const parsed = JSON.parse(s) as unknown;
        return Array.isArray(parsed) ? parsed : undefined;
      } catch {
        return undefined;
      }
    }
    return s === '' ? [] : s.split(',').map((x) => x.trim());
  }
  return undefined;
}

const INVALID = Symbol('invalid');

/** The value converted to the option's type (CLI strings included), or INVALID. */
function convert(def: OptionDef, v: unknown): unknown {
  if (def.parse) return def.parse(v);
  switch (def.type) {
    case 'integer':
    case 'number': {
      const n = toNumber(v);
      if (!Number.isFinite(n) || (def.type === 'integer' && !Number.isInteger(n)) || !inRange(n, def)) return INVALID;
      return n;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no') return false;
      return INVALID;
    case 'string':
      return typeof v === 'string' ? v : INVALID;
    case 'enum':
      return typeof v === 'string' && (def.values ?? []).includes(v) ? v : INVALID;
    case 'integer-list':
    case 'number-list': {
      const items = toList(v);
      if (!items || items.length === 0) return INVALID;
      const nums = items.map(toNumber);
      const ok = nums.every((n) => Number.isFinite(n) && (def.type === 'number-list' || Number.isInteger(n)) && inRange(n, def));
      return ok ? nums : INVALID;
    }
    case 'string-list': {
      const items = toList(v);
      if (!items || items.length === 0 || !items.every((x) => typeof x === 'string')) return INVALID;
      if (def.values && !items.every((x) => def.values?.includes(x as string))) return INVALID;
      return items;
    }
    case 'json':
      if (typeof v === 'string') {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          return INVALID;
        }
      }
      return v !== null && typeof v === 'object' ? v : INVALID;
  }
}

/**
 * Checks a method's options against its schema before any work: every key must be an option of the
 * method, every value of the option's type and range. CLI strings are converted ("5" -> 5,
 * "true" -> true, "a,b" -> ['a', 'b'], JSON for 'json' options); `undefined` values are dropped.
 *
 * @param method the method name, for messages.
 * @returns a new object with the converted values (only the keys given).
 * @throws InputError `E_OPTION`: an unknown option (listing the valid ones, with the nearest name) or
 *   a value of the wrong type or out of range (naming what is allowed).
 * @example
 * checkOptions('nnls', nnlsMethod.options, { maxIter: '10' }); // { maxIter: 10 }
 * checkOptions('nnls', nnlsMethod.options, { bogus: 1 });      // throws E_OPTION
 */
export function checkOptions(
  method: string,
  schema: AnySchema,
  options: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!options) return out;
  const names = Object.keys(schema);
  for (const [key, value] of Object.entries(options)) {
    const def = schema[key];
    if (!def) {
      const near = suggestName(key, names);
      throw new InputError(`method '${method}' has no option '${key}'`, {
        code: 'E_OPTION',
        field: key,
        expected: `one of ${names.join(', ')}`,
        hint: `${near ? `Did you mean '${near}'? ` : ''}'celldeconv methods ${method}' lists them with their defaults`,
      });
    }
    if (value === undefined) continue;
    let v: unknown;
    try {
      v = convert(def, value);
    } catch (e) {
      if (e instanceof InputError) throw e;
      v = INVALID;
    }
    if (v === INVALID) {
      throw new InputError(`${method}: invalid option '${key}'`, {
        code: 'E_OPTION',
        field: key,
        got: value,
        expected: expectedValue(def),
      });
    }
    out[key] = v;
  }
  return out;
}

/**
 * A schema derived from a defaults object, for methods registered without one: numbers, booleans,
 * strings, lists and objects by the type of their default (no ranges, no help beyond the type).
 */
export function inferSchema(defaults: object | undefined): AnySchema {
  const schema: Record<string, OptionDef> = {};
  for (const [k, v] of Object.entries(defaults ?? {})) {
    let type: OptionType = 'json';
    if (typeof v === 'number') type = 'number';
    else if (typeof v === 'boolean') type = 'boolean';
    else if (typeof v === 'string') type = 'string';
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) type = 'number-list';
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) type = 'string-list';
    schema[k] = { type, help: '(no description)', optional: v === undefined };
  }
  return schema;
}

/** The schema of a method: its own, else one inferred from its defaults. */
export function schemaOf(spec: { options?: object; defaults?: unknown }): AnySchema {
  return (spec.options as AnySchema | undefined) ?? inferSchema(spec.defaults as object | undefined);
}

function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(',');
  return JSON.stringify(v);
}

/**
 * The option table of a method for `--help`: one line per option with its flag, type, default,
 * quick (demo) value when it differs, and help.
 *
 * @param withFlags show each option's `train` flag (else its `--set` key).
 */
export function describeOptions(
  spec: { name: string; options?: object; defaults?: unknown; quickOptions?: unknown },
  withFlags = false,
): string[] {
  const schema = schemaOf(spec);
  const defaults = (spec.defaults ?? {}) as Record<string, unknown>;
  const quick = (spec.quickOptions ?? {}) as Record<string, unknown>;
  const rows = Object.entries(schema).map(([name, def]) => {
    const flag = withFlags ? optionFlag(name, def) : undefined;
    const left = withFlags ? (flag ? `--${flag}` : `--set ${name}=...`) : name;
    const q = name in quick ? `; quick: ${show(quick[name])}` : '';
    return `  ${left.padEnd(30)} ${def.help} [${expectedValue(def)}; default: ${show(defaults[name])}${q}]`;
  });
  return rows;
}
