/**
 * No file-level import circles in src/ (issue 11): counting `import type` too, since a circle of
 * types still ties two files together (and the three that existed, simulate/scaden-simulation <->
 * training-simulation, decovart/method <-> model-dir, benchmark/runner <-> report, were such).
 * Dynamic `import()` calls are left out: they are how heavy modules load on first use.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Static imports and re-exports of each file (relative specifiers only), as repository paths. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(src)) {
    const text = readFileSync(f, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm)) {
      const spec = (m[1] ?? m[2]) as string;
      deps.push(relative(src, resolve(dirname(f), spec.replace(/\.js$/, '.ts'))));
    }
    g.set(relative(src, f), deps);
  }
  return g;
}

/** Every cycle found by a depth-first search (each reported once, from its first file). */
function cycles(g: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (!state.has(d) && g.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

test('the cycle finder finds a planted circle (control)', () => {
  const g = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(cycles(g), ['a.ts -> b.ts -> c.ts -> a.ts']);
});

test('no file-level import circles in src/', () => {
  const g = graph();
  assert.ok(g.size > 100, 'the import graph was not read');
  assert.deepEqual(cycles(g), []);
});
