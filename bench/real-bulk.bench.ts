/**
 * `npm run bench -- real-bulk`: every registered method on real-bulk-like variants of the same
 * PBMC3k pseudobulks (issue 14): summed raw counts, CPM, TPM (synthetic gene lengths from
 * test/fixtures/real-bulk), log1p(CPM), CPM with gene-wise log-normal platform factors (sd 0.75),
 * and counts with 5% duplicated gene rows. Baseline: the same pseudobulks read from their own layer
 * (what `pseudobulks.h5ad` gives). Cells are split 50/50: the signature / models use one half, the
 * pseudobulks the other. Score: median over samples of the per-sample Pearson r against the truth
 * (cell fractions). Each variant runs with the default input step and with `--platform-correction
 * bmode` (signature methods; trained models use it by default, so they also run with `none`).
 *
 * Environment: BENCH_METHODS (comma list, default all), BENCH_N (pseudobulks, default 50),
 * BENCH_QUICK=0 for the methods' full settings (default: their quick settings).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { pearson, perSample } from '../src/benchmark/metrics.js';
import { DenseMatrix } from '../src/data/dense.js';
import { pbmc3k } from '../src/datasets/pbmc3k.js';
import '../src/methods/all-methods.js';
import { getMethod, listMethods } from '../src/methods/registry.js';
import type { DeconvolutionResult } from '../src/methods/types.js';
import { buildSignature } from '../src/signature/build-signature.js';
import { BULK_VARIANTS, makeBulkVariants } from '../src/simulate/bulk-variants.js';
import { simulatePseudobulks } from '../src/simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../src/simulate/split.js';

const METHODS = (process.env.BENCH_METHODS?.split(',') ?? listMethods()).filter((m) => listMethods().includes(m));
const N = Number(process.env.BENCH_N ?? 50);
const QUICK = process.env.BENCH_QUICK !== '0';

function lengths(): Map<string, number> {
  const text = gunzipSync(readFileSync(new URL('../test/fixtures/real-bulk/gene_lengths.tsv.gz', import.meta.url))).toString('utf8');
  const m = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const [g, l] = line.split('\t');
    if (g && l) m.set(g, Number(l));
  }
  return m;
}

function medianR(truth: DenseMatrix<Float64Array>, truthTypes: string[], res: DeconvolutionResult): number {
  const C = res.cellTypes.length;
  const T = new DenseMatrix(truth.rows, C, new Float64Array(truth.rows * C));
  const idx = res.cellTypes.map((t) => truthTypes.indexOf(t));
  for (let i = 0; i < truth.rows; i++) {
    for (let c = 0; c < C; c++) T.data[i * C + c] = idx[c]! < 0 ? 0 : truth.data[i * truthTypes.length + idx[c]!]!;
  }
  const r = [...perSample(T, res.proportions, (a, b) => pearson(a, b))].filter(Number.isFinite).sort((a, b) => a - b);
  return r[Math.floor(r.length / 2)] ?? Number.NaN;
}

const t0 = Date.now();
const ref = await pbmc3k();
const { train, test } = splitTrainTest(ref, { labelsKey: 'cell_type', seed: 0 });
const sim = simulatePseudobulks(test, { labelsKey: 'cell_type', nSamples: N, seed: 1 });
const { variants, tpmDropped } = makeBulkVariants(sim.bulk, { lengths: lengths(), seed: 2 });
const signature = buildSignature(train, { labelsKey: 'cell_type' });
console.log(
  `real-bulk bench: ${N} pseudobulks of 100 test cells; ${train.nObs} train cells; signature ${signature.nGenes} genes; TPM drops ${tpmDropped} genes without length; load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const header = ['method', 'platform', 'h5ad', ...BULK_VARIANTS, 'fit s', 'total s'];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const name of METHODS) {
  const spec = getMethod(name);
  const tf = Date.now();
  let fitted: Awaited<ReturnType<typeof spec.fit>>;
  try {
    fitted = await spec.fit(train, {
      labelsKey: 'cell_type',
      signature: spec.kind === 'trained' ? undefined : signature,
      seed: 0,
      options: QUICK ? { ...(spec.quickOptions ?? {}) } : {},
    });
  } catch (e) {
    console.log(`| ${name} | fit failed: ${(e as Error).message} |`);
    continue;
  }
  const fitS = (Date.now() - tf) / 1000;
  const base = medianR(sim.truth.proportions as DenseMatrix<Float64Array>, sim.truth.cellTypes, await fitted.deconvolve(sim.bulk));
  for (const platform of ['none', 'bmode'] as const) {
    const row: string[] = [name, platform, base.toFixed(3)];
    for (const v of BULK_VARIANTS) {
      const ds = variants[v];
      if (!ds) {
        row.push('-');
        continue;
      }
      try {
        const res = await fitted.deconvolve(ds, { bulkInput: { platformCorrection: platform } });
        const zero = (res.diagnostics.extra?.degenerateResult as { zeroTypes: string[] } | undefined)?.zeroTypes.length ?? 0;
        row.push(
          `${medianR(sim.truth.proportions as DenseMatrix<Float64Array>, sim.truth.cellTypes, res).toFixed(3)}${zero ? ` (${zero} zero)` : ''}`,
        );
      } catch (e) {
        row.push(`error ${(e as { code?: string }).code ?? (e as Error).message}`);
      }
    }
    row.push(fitS.toFixed(1), ((Date.now() - tf) / 1000).toFixed(1));
    console.log(`| ${row.join(' | ')} |`);
  }
}
console.log(`whole run ${((Date.now() - t0) / 1000).toFixed(0)} s`);
