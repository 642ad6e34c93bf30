/**
 * Imports point one way (STYLE.md §1): core <- data <- linalg, io <- preprocess, signature,
 * simulate, datasets <- nn <- models <- methods <- benchmark <- cli. `nn` is used only by models and
 * methods/deep. Walks the import graph of src/ and fails on an upward import, a cycle between areas,
 * or a cycle between files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));
const RANK: Record<string, number> = {
  core: 0,
  data: 1,
  linalg: 2,
  io: 2,
  preprocess: 3,
  signature: 3,
  simulate: 3,
  datasets: 3,
  nn: 3.5,
  models: 3.75,
  methods: 4,
  benchmark: 5,
  cli: 6,
  'index.ts': 7,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function area(file: string): string {
  return relative(src, file).split(/[\\/]/)[0] as string;
}

test('imports point one way (nn <- models <- methods) and nn is used only by models and deep methods', () => {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const f of files(src)) {
    const text = readFileSync(f, 'utf8');
    const from = area(f);
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
      const to = area(target);
      if (to === from) continue;
      if (!(from in RANK) || !(to in RANK)) {
        problems.push(`${relative(src, f)}: unknown area '${!(from in RANK) ? from : to}' (add it to RANK)`);
        continue;
      }
      if ((RANK[to] as number) > (RANK[from] as number)) problems.push(`${relative(src, f)} imports upward: ${spec}`);
      if (to === 'nn' && !relative(src, f).match(/^(models|methods[\\/]deep|cli|index\.ts)/))
        problems.push(`${relative(src, f)} imports nn (only models and methods/deep may)`);
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  // cycles between areas of equal rank
  const visit = (a: string, stack: string[]): void => {
    for (const b of edges.get(a) ?? []) {
      if (stack.includes(b)) problems.push(`import cycle between areas: ${[...stack, b].join(' -> ')}`);
      else visit(b, [...stack, b]);
    }
  };
  for (const a of edges.keys()) visit(a, [a]);
  assert.deepEqual([...new Set(problems)], []);
});

/**
 * File-level import cycles known when this check was added (issue 11); the api branch removes them,
 * and the coordinator deletes this list when that branch is merged. Each entry is the cycle's files,
 * sorted, joined by ' <-> '.
 */
const KNOWN_FILE_CYCLES = new Set<string>([
  'simulate/scaden-simulation.ts <-> simulate/training-simulation.ts',
  'methods/decovart/method.ts <-> methods/decovart/model-dir.ts',
  'benchmark/report.ts <-> benchmark/runner.ts',
]);

test('no import cycles between files (type-only imports included)', () => {
  const graph = new Map<string, string[]>();
  const all = files(src);
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      deps.push(relative(src, resolve(dirname(f), spec.replace(/\.js$/, '.ts'))));
    }
    graph.set(relative(src, f), deps);
  }
  // Tarjan's strongly connected components: every component of more than one file is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort().join(' <-> '));
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  assert.deepEqual(
    cycles.filter((c) => !KNOWN_FILE_CYCLES.has(c.replaceAll('\\', '/'))),
    [],
  );
});
