/**
 * `npm run fuzz -- --n 10000 [--kinds mtx,mtx.gz,csv,h5ad,model] [--seed 1] [--keep DIR]`: seeded
 * fuzzing of every file reader (see test/fuzz/harness.ts). Exits 1 when any input broke the
 * contract (an untyped exception, or a good .h5ad unreadable after a damaged one), printing the
 * kind, index and seed to replay it.
 */
import { parseArgs } from 'node:util';
import { FUZZ_KINDS, type FuzzKind, runFuzz } from '../test/fuzz/harness.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    kinds: { type: 'string' },
    keep: { type: 'string' },
  },
});
const n = Number(values.n);
const seed = Number(values.seed);
const kinds = (values.kinds?.split(',') ?? [...FUZZ_KINDS]) as FuzzKind[];
for (const k of kinds) if (!FUZZ_KINDS.includes(k)) throw new Error(`unknown kind '${k}'; expected ${FUZZ_KINDS.join(', ')}`);
if (!(Number.isInteger(n) && n > 0)) throw new Error('--n must be a positive integer');
const t0 = Date.now();
const report = await runFuzz({ n, seed, kinds, keepDir: values.keep });
console.log(`${report.cases} cases (${n} per kind, seed ${seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (const [kind, s] of Object.entries(report.byKind)) {
  const codes = Object.entries(s.codes)
    .sort((a, b) => b[1] - a[1])
    .map(([c, k]) => `${c} ${k}`)
    .join(', ');
  console.log(`  ${kind.padEnd(7)} parsed ${s.ok}; ${codes}`);
}
for (const f of report.failures.slice(0, 20))
  console.log(`FAIL ${f.kind} #${f.index} (seed ${f.seed}): ${f.error}${f.file ? ` [${f.file}]` : ''}`);
console.log(report.failures.length === 0 ? 'no contract failures' : `${report.failures.length} contract failures`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
