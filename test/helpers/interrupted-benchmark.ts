/** The benchmark the interruption test kills and resumes (shared by the child and the test). */
import '../../src/methods/linear/nnls.js';
import '../../src/methods/linear/ols.js';
import type { BenchmarkOptions } from '../../src/benchmark/runner.js';
import { syntheticCells } from '../benchmark/synthetic.js';

export function benchmarkOptions(): Omit<BenchmarkOptions, 'outDir'> {
  const { ds } = syntheticCells([60, 40, 30], 300, 3);
  return {
    reference: ds,
    labelsKey: 'cell_type',
    granularities: [{ name: 'fine', map: { T0: 'T0', T1: 'T1', T2: 'T2' } }],
    methods: ['nnls', 'ols'],
    nSamples: 150,
    nCells: 10,
    cellsGrid: [2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18],
    seed: 1,
    minGeneCounts: 0,
    quick: true,
  };
}
