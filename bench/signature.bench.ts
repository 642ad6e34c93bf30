/**
 * Signature builder on PBMC3k (2,638 cells x all 32,738 genes, raw UMI, 9 labelled types):
 * time of buildSignature (median of 3 runs) and of its two stages, from progress events.
 *
 *   npm run bench -- signature
 *
 * Reads the bundled data/pbmc3k (datasets.pbmc3k()).
 */
import { pbmc3k } from '../src/datasets/pbmc3k.js';
import { buildSignatureDetailed } from '../src/signature/build-signature.js';

{
  const t0 = performance.now();
  const ds = await pbmc3k();
  console.log(
    `loaded PBMC3k ${ds.nObs} x ${ds.nVars} (${(ds.X as { nnz: number }).nnz} non-zeros) in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
  const runs: number[] = [];
  let last: ReturnType<typeof buildSignatureDetailed> | undefined;
  let stageTimes: Record<string, number> = {};
  for (let r = 0; r < 3; r++) {
    const marks: Record<string, number> = {};
    const start = performance.now();
    last = buildSignatureDetailed(ds, {
      labelsKey: 'cell_type',
      onProgress: (e) => {
        if (e.total !== undefined && e.step >= e.total) marks[e.label ?? e.stage] = performance.now();
      },
    });
    const end = performance.now();
    runs.push(end - start);
    stageTimes = { wilcoxon: ((marks.wilcoxon ?? end) - start) / 1000, kappa: (end - (marks.wilcoxon ?? start)) / 1000 };
  }
  runs.sort((a, b) => a - b);
  if (!last) throw new Error('no run');
  const sig = last.signature;
  console.log(
    `buildSignature: median ${((runs[1] as number) / 1000).toFixed(2)} s (runs ${runs.map((t) => (t / 1000).toFixed(2)).join(', ')} s); ` +
      `last run: DE pass ${stageTimes.wilcoxon?.toFixed(2)} s, kappa search + values ${stageTimes.kappa?.toFixed(2)} s`,
  );
  console.log(
    `result: n* = ${last.nTopChosen}, ${sig.nGenes} genes x ${sig.nTypes} types, kappa = ${(sig.meta.conditionNumber as number).toFixed(2)}, ` +
      `${last.genes.length} genes tested`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
