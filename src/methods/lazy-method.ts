/**
 * A registry entry whose implementation module is imported on first use. Registering a deep method
 * then costs only its config (defaults, quick settings, option schema): TensorFlow.js and the model
 * code load inside `fit` / `load`, so `import 'celldeconv'`, linear methods and `celldeconv info`
 * never pay for them.
 */
import { checkOptions, type OptionSchema } from './option-schema.js';
import type { MethodSpec } from './types.js';

/** Everything of a MethodSpec but its verbs, plus the (required) option schema. */
export type MethodInfo<O> = Omit<MethodSpec<O>, 'fit' | 'load' | 'options'> & { options: OptionSchema<O> };

/**
 * A MethodSpec that checks options against the schema, then imports the real spec with `load` and
 * delegates `fit` and `load` to it.
 *
 * @param info name, kind, description, defaults, quick settings and schema (from a tfjs-free file).
 * @param implementation imports the module holding the real spec, e.g. `async () => (await import('./model.js')).scaden`.
 * @example
 * registerMethod(lazyMethod({ ...SCADEN_INFO, kind: 'trained', defaults, options }, async () => (await import('./model.js')).scaden));
 */
export function lazyMethod<O>(info: MethodInfo<O>, implementation: () => Promise<MethodSpec<O>>): MethodSpec<O> {
  return {
    ...info,
    async fit(ref, opts) {
      const options = checkOptions(info.name, info.options, opts.options) as Partial<O>;
      return (await implementation()).fit(ref, { ...opts, options });
    },
    async load(dir) {
      const impl = await implementation();
      if (!impl.load) throw new Error(`method '${info.name}' has no load()`);
      return impl.load(dir);
    },
  };
}
