/**
 * name -> MethodSpec. The CLI and the benchmark discover methods only through this registry.
 *
 * Each method module registers itself in `all-methods.ts`; importing that file fills the registry.
 */
import { InputError } from '../core/errors.js';
import { suggestName } from '../core/suggest.js';
import { withBulkInput } from './bulk-input.js';
import type { MethodSpec } from './types.js';

/** Names users type for a method registered under another name (the paper's or tool's name). */
export const METHOD_ALIASES: Readonly<Record<string, string>> = {
  cibersort: 'nusvr',
  cibersortx: 'nusvr',
  svr: 'nusvr',
  'nu-svr': 'nusvr',
  lsq: 'ols',
  'least-squares': 'ols',
  huber: 'rlr',
  robust: 'rlr',
  'scvi-tools': 'scvi',
};

const methods = new Map<string, MethodSpec<any>>();

/**
 * Adds a method; a second registration under the same name is a programming error. The registry
 * holds it wrapped by the shared real-bulk input step (`withBulkInput`: units, genes, platform
 * correction, fractions), so every method reached by name gets it without per-method code.
 */
export function registerMethod<O>(spec: MethodSpec<O>): void {
  if (methods.has(spec.name)) throw new Error(`method '${spec.name}' registered twice`);
  methods.set(spec.name, withBulkInput(spec) as MethodSpec<any>);
}

/** The method called `name`, or a typed error listing the known ones. */
export function getMethod(name: string): MethodSpec<any> {
  const m = methods.get(name);
  if (!m) {
    throw new InputError(`unknown method '${name}'`, {
      code: 'E_UNKNOWN_METHOD',
      field: 'method',
      got: name,
      expected: `one of ${listMethods().join(', ')}`,
      hint: suggestHint(name),
    });
  }
  return m;
}

function suggestHint(name: string): string {
  const near = suggestName(name, listMethods(), METHOD_ALIASES);
  const alias = METHOD_ALIASES[name.toLowerCase()];
  const why = near !== undefined && alias === near ? ` (${near} is our ${name} implementation)` : '';
  return `${near ? `Did you mean '${near}'${why}? ` : ''}Run 'celldeconv methods' to list them`;
}

/** Registered method names, in registration order. */
export function listMethods(): string[] {
  return [...methods.keys()];
}

/** Registered specs, in registration order. */
export function allMethods(): MethodSpec<any>[] {
  return [...methods.values()];
}
