/**
 * A process for the interruption tests (test/io/interrupt.test.ts) to SIGKILL mid-write:
 * - `h5ad OUT`: writes a ~40 MB .h5ad to OUT again and again;
 * - `benchmark OUT`: runs a small benchmark (nnls, many grid cells) into OUT.
 */

import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { benchmarkOptions } from './interrupted-benchmark.js';

const [mode, out] = process.argv.slice(2) as [string, string];
if (mode === 'h5ad') {
  const rows = 2500;
  const cols = 2000;
  const data = new Float64Array(rows * cols).map((_, i) => i % 97);
  const ds = new Dataset({
    X: new DenseMatrix(rows, cols, data),
    obsNames: Array.from({ length: rows }, (_, i) => `c${i}`),
    varNames: Array.from({ length: cols }, (_, j) => `g${j}`),
  });
  for (;;) await writeH5ad(out, ds);
} else if (mode === 'benchmark') {
  const { runBenchmark } = await import('../../src/benchmark/runner.js');
  // Widen the window between saved cells so that the test's kill lands mid-run on any machine.
  const pause = () => {
    const t = Date.now();
    while (Date.now() - t < 20) {}
  };
  await runBenchmark({ ...benchmarkOptions(), outDir: out, onProgress: pause });
} else throw new Error(`unknown mode ${mode}`);
