/**
 * Imports point one way (STYLE.md §1): core <- data <- linalg, io <- preprocess, signature,
 * simulate, datasets <- methods <- benchmark <- cli. `nn` is used only by methods/deep.
 * Walks the import graph of src/ and fails on an upward import or a cycle between areas.
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
  models: 3.7,
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

test('imports point one way and nn is used only by deep methods', () => {
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
      if (to === 'nn' && !relative(src, f).match(/^(methods[\\/]deep|models|cli|index\.ts)/))
        problems.push(`${relative(src, f)} imports nn (only methods/deep may)`);
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
