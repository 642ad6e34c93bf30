/** Helpers to read typed option values with usage errors that name the option. */
import { CelldeconvError } from '../core/errors.js';
import type { ParsedArgs } from './command.js';

/** A usage error: wrong or missing option (exit code 2). */
export class UsageError extends CelldeconvError {
  constructor(what: string, field: string, got?: unknown, expected?: unknown, hint?: string) {
    super(what, { code: 'E_USAGE', field: `--${field}`, got, expected, hint });
  }
}

export function optString(a: ParsedArgs, name: string): string | undefined {
  const v = a.values[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

export function reqString(a: ParsedArgs, name: string, hint?: string): string {
  const v = optString(a, name);
  if (v === undefined || v === '') throw new UsageError('missing required option', name, undefined, undefined, hint ?? `Pass --${name}`);
  return v;
}

export function optBool(a: ParsedArgs, name: string): boolean {
  return a.values[name] === true;
}

export function optNumber(a: ParsedArgs, name: string, def: number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const s = optString(a, name);
  if (s === undefined) return def;
  const v = Number(s);
  if (
    s.trim() === '' ||
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min) ||
    (opts.max !== undefined && v > opts.max)
  ) {
    const exp = `${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`;
    throw new UsageError('invalid value', name, s, exp);
  }
  return v;
}

/** Comma-separated list ("a,b,c"), empty items dropped. */
export function optList(a: ParsedArgs, name: string): string[] | undefined {
  const s = optString(a, name);
  if (s === undefined) return undefined;
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** Comma-separated integers, each >= min. */
export function optIntList(a: ParsedArgs, name: string, min = 1): number[] | undefined {
  const items = optList(a, name);
  if (!items) return undefined;
  return items.map((x) => {
    const v = Number(x);
    if (!Number.isInteger(v) || v < min)
      throw new UsageError('every item must be an integer', name, x, `integers >= ${min}, e.g. 10,100,1000`);
    return v;
  });
}

/**
 * Method options from repeated `--set KEY=VALUE` flags, values kept as typed: the method's option
 * schema converts and checks them (methods/option-schema.ts `checkOptions`).
 *
 * @throws {@link UsageError} for an item without `=`.
 */
export function parseSetOptions(a: ParsedArgs): Record<string, string> {
  const raw = a.values.set;
  const sets = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  const options: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError('expected KEY=VALUE', 'set', s, 'e.g. --set solver=ipm');
    options[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return options;
}
