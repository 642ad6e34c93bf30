/** `celldeconv methods`: list the registered deconvolution methods. */
import '../../methods/all-methods.js';
import { allMethods } from '../../methods/registry.js';
import type { CommandSpec } from '../command.js';

export const methodsCommand: CommandSpec = {
  name: 'methods',
  summary: 'List the available deconvolution methods',
  options: {},
  async run({ out }) {
    const specs = allMethods();
    out.result(
      specs.map((s) => ({ name: s.name, kind: s.kind, description: s.description, reference: s.reference ?? null, defaults: s.defaults })),
    );
    const w = Math.max(6, ...specs.map((s) => s.name.length));
    for (const s of specs) out.print(`${s.name.padEnd(w)}  ${s.kind.padEnd(9)}  ${s.description}`);
    if (specs.length === 0) out.print('(no methods registered)');
  },
};
