/**
 * `npm run decovart:toy` (also part of `npm run bench`): the seed's two-gene toy simulation
 * (src/methods/decovart/toy.ts) and the per-iteration cost of the DeCovarT likelihood.
 *
 * Writes docs/decovart-toy.html (Vega-Lite heatmaps rendered to SVG in Node, the benchmark
 * report's library) and rewrites the marked blocks of docs/DECOVART.md (toy table, timings).
 * Flags: `--toy-only`, `--timing-only`, `--samples N` (default 500), `--seed S` (default 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import type * as vl from 'vega-lite';
import { vegaLiteToSvg } from '../src/benchmark/report.js';
import { Rng } from '../src/core/rng.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { DecovartLikelihood } from '../src/methods/decovart/likelihood.js';
import { runToyExperiment, type ToyCell } from '../src/methods/decovart/toy.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const num = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const docsDir = new URL('../docs/', import.meta.url);
const mdPath = new URL('DECOVART.md', docsDir);

function replaceBlock(md: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const a = md.indexOf(begin);
  const b = md.indexOf(end);
  if (a < 0 || b < a) return `${md.trimEnd()}\n\n${begin}\n${body}\n${end}\n`;
  return `${md.slice(0, a + begin.length)}\n${body}\n${md.slice(b)}`;
}

const fmtE = (v: number) => v.toExponential(2);

function toyTable(cells: ToyCell[], seedCells: ToyCell[]): string {
  const lines = [
    '| overlap | p | r1 | r2 | MSE NNLS | MSE DeCovarT (c=½) | ratio | MSE DeCovarT (seed, c=1) | ratio | converged (c=½) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  cells.forEach((c, k) => {
    const s = seedCells[k]!;
    lines.push(
      `| ${c.overlap} | (${c.p1}, ${+(1 - c.p1).toFixed(2)}) | ${c.r1} | ${c.r2} | ${fmtE(c.mseNnls)} | ${fmtE(c.mseDecovart)} | ${(c.mseDecovart / c.mseNnls).toFixed(3)} | ${fmtE(s.mseDecovart)} | ${(s.mseDecovart / s.mseNnls).toFixed(3)} | ${c.converged}/${c.nSamples} |`,
    );
  });
  return lines.join('\n');
}

function toySummary(cells: ToyCell[], label: string): string {
  const out: string[] = [];
  for (const ov of [...new Set(cells.map((c) => c.overlap))]) {
    for (const p1 of [...new Set(cells.map((c) => c.p1))]) {
      const sub = cells.filter((c) => c.overlap === ov && c.p1 === p1);
      const wins = sub.filter((c) => c.mseDecovart < c.mseNnls).length;
      const opp = sub.filter((c) => Math.abs(c.r1 - c.r2) >= 1.2);
      const oppWins = opp.filter((c) => c.mseDecovart < c.mseNnls).length;
      const gm = Math.exp(sub.reduce((s, c) => s + Math.log(c.mseDecovart / c.mseNnls), 0) / sub.length);
      const corner = sub.find((c) => c.r1 === -0.8 && c.r2 === 0.8);
      out.push(
        `- ${label}, ${ov}, p = (${p1}, ${+(1 - p1).toFixed(2)}): DeCovarT below NNLS in ${wins}/${sub.length} cells ` +
          `(${oppWins}/${opp.length} where |r1 − r2| ≥ 1.2); geometric-mean MSE ratio ${gm.toFixed(3)}` +
          (corner ? `; r = (−0.8, 0.8): ${fmtE(corner.mseNnls)} (NNLS) vs ${fmtE(corner.mseDecovart)} (DeCovarT)` : ''),
      );
    }
  }
  return out.join('\n');
}

async function toyFigure(cells: ToyCell[]): Promise<string> {
  const values = cells.flatMap((c) => {
    const setting = `${c.overlap}, p = (${c.p1}, ${+(1 - c.p1).toFixed(2)})`;
    return [
      { setting, method: 'NNLS', r1: c.r1, r2: c.r2, mse: c.mseNnls },
      { setting, method: 'DeCovarT', r1: c.r1, r2: c.r2, mse: c.mseDecovart },
    ];
  });
  const ratio = cells.map((c) => ({
    setting: `${c.overlap}, p = (${c.p1}, ${+(1 - c.p1).toFixed(2)})`,
    r1: c.r1,
    r2: c.r2,
    log2ratio: Math.log2(c.mseDecovart / c.mseNnls),
  }));
  const axis = { labelFont: 'Helvetica', titleFont: 'Helvetica' };
  const heat: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'MSE of the proportions (500 samples per cell; log colour scale)',
    data: { values },
    facet: {
      row: { field: 'setting', type: 'nominal', title: null },
      column: { field: 'method', type: 'nominal', title: null, sort: ['NNLS', 'DeCovarT'] },
    },
    resolve: { scale: { color: 'independent' } },
    spec: {
      width: 180,
      height: 180,
      mark: 'rect',
      encoding: {
        x: { field: 'r1', type: 'ordinal', title: 'correlation r1 (population 1)', axis },
        y: { field: 'r2', type: 'ordinal', title: 'correlation r2 (population 2)', sort: 'descending', axis },
        color: { field: 'mse', type: 'quantitative', scale: { type: 'log', scheme: 'viridis' }, title: 'MSE' },
        tooltip: [{ field: 'mse', format: '.2e' }],
      },
    },
  };
  const diff: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'log2(MSE DeCovarT / MSE NNLS): blue = DeCovarT better',
    data: { values: ratio },
    facet: { column: { field: 'setting', type: 'nominal', title: null } },
    spec: {
      width: 180,
      height: 180,
      mark: 'rect',
      encoding: {
        x: { field: 'r1', type: 'ordinal', title: 'r1', axis },
        y: { field: 'r2', type: 'ordinal', title: 'r2', sort: 'descending', axis },
        color: { field: 'log2ratio', type: 'quantitative', scale: { scheme: 'redblue', reverse: true, domainMid: 0 }, title: 'log2 ratio' },
      },
    },
  };
  const [a, b] = [await vegaLiteToSvg(heat), await vegaLiteToSvg(diff)];
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>DeCovarT toy simulation</title>',
    '<style>body{font-family:Helvetica,Arial,sans-serif;margin:2em;max-width:1100px}</style></head><body>',
    "<h1>DeCovarT vs NNLS on the seed's two-gene toy simulation</h1>",
    '<p>2 genes, 2 populations, unit variances, within-population correlations r1, r2; y = p1 x1 + p2 x2, no added noise; 500 samples per cell. ',
    'DeCovarT uses the known means and covariances (as in the seed) and the correct likelihood (c = ½). Made by <code>npm run decovart:toy</code>; numbers in docs/DECOVART.md.</p>',
    `<h2>MSE per method</h2>${a}`,
    `<h2>Ratio</h2>${b}`,
    '</body></html>',
  ].join('\n');
}

function timing(): string {
  const lines = ['| G | J | value only (ms) | value + gradient + Hessian (ms) |', '| --- | --- | --- | --- |'];
  for (const [G, J] of [
    [60, 9],
    [100, 9],
    [200, 9],
    [300, 9],
  ] as const) {
    const rng = new Rng(G);
    const mu = Float64Array.from({ length: J * G }, () => 10 * rng.uniform());
    const sig = Array.from({ length: J }, () => {
      const S = new Float64Array(G * G);
      const A = Float64Array.from({ length: G * 8 }, () => rng.normal());
      for (let a = 0; a < G; a++)
        for (let b = 0; b < G; b++) {
          let s = a === b ? 1 : 0;
          for (let k = 0; k < 8; k++) s += A[a * 8 + k]! * A[b * 8 + k]!;
          S[a * G + b] = s;
        }
      return S;
    });
    const lik = new DecovartLikelihood(G, J, mu, sig, 0.5);
    const y = Float64Array.from({ length: G }, () => 5 + rng.uniform());
    const p = new Float64Array(J).fill(1 / J);
    const e = lik.newEval();
    const time = (order: 0 | 2, reps: number) => {
      lik.evaluate(y, p, order, e);
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) lik.evaluate(y, p, order, e);
      return (performance.now() - t0) / reps;
    };
    const reps = G <= 100 ? 20 : 3;
    lines.push(`| ${G} | ${J} | ${time(0, reps * 5).toFixed(2)} | ${time(2, reps).toFixed(1)} |`);
  }
  return lines.join('\n');
}

let md = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '# DeCovarT\n';
if (!flag('--timing-only')) {
  const nSamples = num('--samples', 500);
  const seed = num('--seed', 2);
  const t0 = performance.now();
  const cells = runToyExperiment({ nSamples, seed, c: 0.5 });
  const seedCells = runToyExperiment({ nSamples, seed, c: 1 });
  const secs = (performance.now() - t0) / 1000;
  console.log(`toy: ${cells.length} cells x ${nSamples} samples x 2 likelihoods in ${secs.toFixed(1)} s`);
  const summary = `${toySummary(cells, 'correct likelihood (c = ½)')}\n${toySummary(seedCells, 'seed variant (c = 1)')}`;
  console.log(summary);
  md = replaceBlock(md, 'toy-summary', summary);
  md = replaceBlock(md, 'toy-table', toyTable(cells, seedCells));
  writeFileAtomic(new URL('decovart-toy.html', docsDir).pathname, await toyFigure(cells));
  console.log('wrote docs/decovart-toy.html');
}
if (!flag('--toy-only')) {
  const t = timing();
  console.log(t);
  md = replaceBlock(md, 'timing', t);
}
writeFileAtomic(mdPath.pathname, md);
console.log('updated docs/DECOVART.md');
