/**
 * Lazy loading (issue 11): importing the package, running a linear method or `celldeconv info` loads
 * neither TensorFlow.js nor vega. Each case runs in a child process whose ESM loader records every
 * module it loads (test/helpers/record-loads.mjs); a positive control shows the recorder does see
 * tfjs-core when a deep model is imported.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const recorder = fileURLToPath(new URL('../helpers/record-loads.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-lazy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SIG = join(root, 'test', 'fixtures', 'linear', 'shuffled', 'SIG.csv');
const BULK = join(root, 'test', 'fixtures', 'linear', 'shuffled', 'BULK.csv');

let runs = 0;
/** Runs `node [--import tsx] args` with the recorder; returns the loaded module URLs. */
function loadedBy(args: string[], useTsx = true): string[] {
  const file = join(tmp, `loads-${runs++}.txt`);
  const r = spawnSync(process.execPath, ['--import', recorder, ...(useTsx ? ['--import', 'tsx'] : []), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RECORD_LOADS_FILE: file, NODE_OPTIONS: '' },
  });
  assert.equal(r.status, 0, `node ${args.join(' ')}\n${r.stderr}`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

const heavy = (urls: string[]) => urls.filter((u) => /node_modules\/(@tensorflow\/|vega)/.test(u));

test('the recorder sees tfjs-core when a deep model is imported (positive control)', () => {
  const urls = loadedBy(['-e', "await import('./src/methods/deep/scaden/model.ts')"]);
  assert.ok(
    urls.some((u) => u.includes('@tensorflow/tfjs-core')),
    'tfjs-core not recorded',
  );
});

test('import of the package (sources) loads neither TensorFlow.js nor vega, and lists every method', () => {
  const urls = loadedBy(['-e', "const m = await import('./src/index.ts'); if (m.listMethods().length < 12) process.exit(7);"]);
  assert.ok(
    urls.some((u) => u.includes('/src/methods/registry.ts')),
    'registry not loaded: the recorder did not run',
  );
  assert.deepEqual(heavy(urls), []);
});

test('the built package (dist/, when built) loads neither TensorFlow.js nor vega', (t) => {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    t.skip('dist/ not built (npm run build)');
    return;
  }
  // `import('celldeconv')` from inside the checkout resolves to dist/ through package.json "exports".
  const urls = loadedBy(['-e', "await import('celldeconv')"], false);
  assert.ok(urls.some((u) => u.includes('/dist/methods/registry.js')));
  assert.deepEqual(heavy(urls), []);
});

test('a linear deconvolution and `info` through the CLI load neither TensorFlow.js nor vega', () => {
  const out = join(tmp, 'props.csv');
  const urls = loadedBy([
    'src/cli/main.ts',
    'deconvolve',
    '--method',
    'nnls,dwls',
    '--signature',
    SIG,
    '--bulk',
    BULK,
    '--out',
    out,
    '--quiet',
  ]);
  assert.ok(existsSync(join(tmp, 'props.nnls.csv')) && existsSync(join(tmp, 'props.dwls.csv')));
  assert.deepEqual(heavy(urls), []);
  const info = loadedBy(['src/cli/main.ts', 'info', BULK, '--quiet']);
  assert.ok(info.some((u) => u.includes('/src/cli/commands/info.ts')));
  assert.deepEqual(heavy(info), []);
});
