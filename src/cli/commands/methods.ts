/** `celldeconv methods [NAME]`: list the registered deconvolution methods, or one method's options. */
import '../../methods/all-methods.js';
import { describeOptions, expectedValue, schemaOf } from '../../methods/option-schema.js';
import { allMethods, getMethod } from '../../methods/registry.js';
import type { CommandSpec } from '../command.js';

export const methodsCommand: CommandSpec = {
  name: 'methods',
  summary: "List the available deconvolution methods, or one method's options",
  details: ['Examples:', '  celldeconv methods', '  celldeconv methods nusvr     # its options: type, range, default, quick value'].join(
    '\n',
  ),
  positionals: [{ name: 'method', description: 'Show this method: its options with defaults and quick values', required: false }],
  options: {},
  async run({ args, out }) {
    const name = args.positionals[0];
    if (name !== undefined) {
      const s = getMethod(name);
      const schema = schemaOf(s);
      out.result({
        name: s.name,
        kind: s.kind,
        description: s.description,
        reference: s.reference ?? null,
        options: Object.entries(schema).map(([key, def]) => ({
          name: key,
          type: def.type,
          allowed: expectedValue(def),
          default: (s.defaults as Record<string, unknown>)[key] ?? null,
          quick: (s.quickOptions as Record<string, unknown> | undefined)?.[key] ?? null,
          help: def.help,
        })),
      });
      out.print(`${s.name} (${s.kind}): ${s.description}`);
      if (s.reference) out.print(`  ${s.reference}`);
      out.print('');
      out.print('Options (library: fit(ref, {options}); CLI: --set KEY=VALUE, or the train flags):');
      for (const line of describeOptions(s)) out.print(line);
      return;
    }
    const specs = allMethods();
    out.result(
      specs.map((s) => ({ name: s.name, kind: s.kind, description: s.description, reference: s.reference ?? null, defaults: s.defaults })),
    );
    const w = Math.max(6, ...specs.map((s) => s.name.length));
    for (const s of specs) out.print(`${s.name.padEnd(w)}  ${s.kind.padEnd(9)}  ${s.description}`);
    if (specs.length === 0) out.print('(no methods registered)');
  },
};
