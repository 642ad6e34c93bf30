import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { renderReport } from '../../src/benchmark/report.js';
import { runBenchmark } from '../../src/benchmark/runner.js';
import { syntheticCells } from './synthetic.js';
import { registerTestMethods } from './test-methods.js';

registerTestMethods();
const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Chromium from $CHROMIUM_PATH or PATH (Debian's `chromium`), or undefined. */
function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env && existsSync(env)) return env;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

let reportPath = '';
async function report(): Promise<string> {
  if (reportPath) return reportPath;
  const { ds } = syntheticCells([60, 30, 20, 10], 40, 2);
  const res = await runBenchmark({
    reference: ds,
    labelsKey: 'cell_type',
    granularities: [
      { name: 'coarse', map: { T0: 'A', T1: 'B', T2: 'B', T3: 'C' } },
      { name: 'fine', map: { T0: 'T0', T1: 'T1', T2: 'T2', T3: 'T3' } },
    ],
    methods: ['test-nnls', 'test-prior'],
    nSamples: 30,
    nCells: 20,
    cellsGrid: [5, 50],
    seed: 0,
    minGeneCounts: 0,
    outDir: join(tmp, 'run'),
    metadata: { data: 'synthetic <test> data', command: 'celldeconv benchmark --test' },
  });
  reportPath = res.files.report;
  return reportPath;
}

test('report.html is self-contained: inline SVG charts, no script, nothing fetched', async () => {
  const html = readFileSync(await report(), 'utf8');
  for (const id of ['box-pearson', 'box-mse', 'lines-cells', 'scatter']) assert.match(html, new RegExp(`<figure id="${id}"><svg`), id);
  assert.equal((html.match(/<svg /g) ?? []).length, 4);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no remote resources');
  assert.doesNotMatch(html, /<link /i);
  assert.match(html, /synthetic &lt;test&gt; data/, 'metadata is escaped');
  assert.match(html, /<td>test-nnls<\/td><td>fine<\/td>/);
  assert.match(html, /vega-lite/);
  assert.match(html, /celldeconv benchmark --test/);
});

test('renders with an empty grid and no scatter (single setting, no results)', async () => {
  const html = await renderReport({
    title: 'empty',
    metadata: {},
    methods: [],
    granularities: [],
    nCellsMain: 100,
    grid: [100],
    samples: [],
    summary: [],
    timings: [],
    failures: [{ method: 'x', granularity: 'g', stage: 'fit', message: 'nope <b>' }],
    date: '2026-01-01T00:00:00Z',
  });
  assert.match(html, /nope &lt;b&gt;/);
  assert.match(html, /2026-01-01T00:00:00Z/);
  assert.doesNotMatch(html, /<svg /);
});

const chromium = findChromium();
test('headless Chromium renders the report: charts present, no console errors, screenshot saved', {
  skip: chromium ? false : 'chromium not found (apt-get install chromium, or set CHROMIUM_PATH); browser check skipped',
  timeout: 120000,
}, async () => {
  const file = await report();
  const url = pathToFileURL(file).href;
  const common = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--enable-logging=stderr',
    '--v=0',
  ];
  const dump = spawnSync(chromium as string, [...common, `--user-data-dir=${join(tmp, 'ud1')}`, '--dump-dom', url], {
    encoding: 'utf8',
    timeout: 90000,
  });
  assert.equal(dump.status, 0, dump.stderr);
  const dom = dump.stdout;
  assert.ok((dom.match(/<svg[\s>]/g) ?? []).length >= 4, 'four charts in the rendered DOM');
  assert.match(dom, /<figure id="scatter">/);
  const consoleLines = dump.stderr.split('\n').filter((l) => /:CONSOLE|Uncaught/.test(l));
  assert.deepEqual(consoleLines, [], 'no console messages or uncaught errors');
  const png = join(tmp, 'report.png');
  const shot = spawnSync(
    chromium as string,
    [...common, `--user-data-dir=${join(tmp, 'ud2')}`, `--screenshot=${png}`, '--window-size=1200,2000', url],
    { encoding: 'utf8', timeout: 90000 },
  );
  assert.equal(shot.status, 0, shot.stderr);
  assert.ok(existsSync(png), 'screenshot written');
  const head = readFileSync(png).subarray(0, 8);
  assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.ok(statSync(png).size > 20000, 'a screenshot with content');
  console.log(`# report screenshot: ${png}`);
});
