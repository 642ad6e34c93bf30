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
    methods: ['test-nnls', 'test-prior', 'test-trained', 'test-broken'],
    quick: true,
    intervals: true,
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

/** The figures of the test report, in page order. */
const FIGURES = [
  'box-pearson',
  'box-mse',
  'lines-cells',
  'scatter-all-coarse',
  'scatter-all-fine',
  'scatter',
  'heatmap-celltype',
  'timings',
  'training-curves',
  'intervals-coarse',
  'intervals-fine',
];

test('report.html is self-contained: inline SVG charts, no script, nothing fetched', async () => {
  const html = readFileSync(await report(), 'utf8');
  for (const id of FIGURES) assert.match(html, new RegExp(`<figure id="${id}"><svg`), id);
  assert.equal((html.match(/<svg /g) ?? []).length, FIGURES.length);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no remote resources');
  assert.doesNotMatch(html, /<link /i);
  assert.match(html, /synthetic &lt;test&gt; data/, 'metadata is escaped');
  assert.match(html, /<td>test-nnls<\/td><td>fine<\/td>/);
  assert.match(html, /vega-lite/);
  assert.match(html, /celldeconv benchmark --test/);
});

test('report: quick settings in the first paragraph, failures in the table, every method in the scatter grid, coverage', async () => {
  const html = readFileSync(await report(), 'utf8');
  // the quick-settings note comes right after the title, before the table
  const quick = html.indexOf('<section class="quick">');
  assert.ok(quick > html.indexOf('<h1>') && quick < html.indexOf('<table class="medians">'), 'quick note first');
  assert.match(html, /QUICK, demo-sized settings/);
  assert.match(html, /deep models \(test-trained\) are therefore under-trained/);
  assert.match(html, /<li><b>test-trained<\/b>: epochs 2 \(published 5; training epochs\)<\/li>/);
  assert.match(html, /<li><b>test-nnls<\/b>: scale 2 \(published 1\)<\/li>/);
  assert.match(html, /<tr class="failed"><td>test-broken<\/td><td>coarse<\/td><td colspan="7">FAILED at fit: deliberately broken/);
  // one panel per method that ran, each with its r and RMSE
  const grid = html.slice(
    html.indexOf('<figure id="scatter-all-fine">'),
    html.indexOf('</figure>', html.indexOf('<figure id="scatter-all-fine">')),
  );
  assert.equal((grid.match(/>r = -?\d\.\d{3}, RMSE = \d\.\d{3}</g) ?? []).length, 3, 'r and RMSE on each of the 3 panels');
  for (const m of ['test-nnls', 'test-prior', 'test-trained']) assert.ok(grid.includes(m), m);
  // MSE on a log axis
  assert.match(html, /MSE per sample \(log scale\)/);
  // training curves: the epoch summaries (not the per-step loss 99), loss terms and validation numbers
  const curves = html.slice(html.indexOf('<figure id="training-curves">'));
  for (const k of ['loss', 'kl', 'val_rho', 'val_d']) assert.ok(curves.includes(`>${k}<`), k);
  // coverage of the +-0.05 test intervals
  assert.match(html, /<h2>Interval coverage<\/h2>/);
  assert.match(html, /<td>test-trained<\/td><td>fine<\/td><td>\d\.\d{3}<\/td><td>0\.\d{4}<\/td>/);
});

test('predictions are exported next to truth.csv with the same columns; CSVs have --precision digits', async () => {
  const dir = join(tmp, 'run', 'predictions', 'fine');
  const truth = readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n');
  assert.equal(truth[0], 'sample,T0,T1,T2,T3');
  assert.equal(truth.length, 31);
  for (const m of ['test-nnls', 'test-prior', 'test-trained']) {
    const p = readFileSync(join(dir, `${m}.csv`), 'utf8')
      .trim()
      .split('\n');
    assert.equal(p[0], truth[0], `${m}: same column order as truth.csv`);
    assert.deepEqual(
      p.map((l) => l.split(',')[0]),
      truth.map((l) => l.split(',')[0]),
      'same samples',
    );
    const sums = p.slice(1).map((l) =>
      l
        .split(',')
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b, 0),
    );
    for (const sum of sums) assert.ok(Math.abs(sum - 1) < 1e-4, `${m} rows sum to 1: ${sum}`);
  }
  assert.ok(existsSync(join(dir, 'test-trained.lower.csv')) && existsSync(join(dir, 'test-trained.upper.csv')));
  assert.ok(!existsSync(join(dir, 'test-broken.csv')));
  const digits = (file: string) =>
    Math.max(
      ...readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => (l.split(',').at(-1) as string).replace(/^-/, '').replace(/^0\.0*|e.*$|\./g, '').length),
    );
  assert.ok(digits(join(tmp, 'run', 'results.csv')) <= 6, 'default: 6 significant digits');
  assert.ok(digits(join(dir, 'test-nnls.csv')) <= 6);
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
  assert.ok((dom.match(/<svg[\s>]/g) ?? []).length >= FIGURES.length, 'every chart in the rendered DOM');
  assert.match(dom, /<figure id="scatter">/);
  const consoleLines = dump.stderr.split('\n').filter((l) => /:CONSOLE|Uncaught/.test(l));
  assert.deepEqual(consoleLines, [], 'no console messages or uncaught errors');
  const png = join(tmp, 'report.png');
  const shot = spawnSync(
    chromium as string,
    [...common, `--user-data-dir=${join(tmp, 'ud2')}`, `--screenshot=${png}`, '--window-size=1200,6000', url],
    { encoding: 'utf8', timeout: 90000 },
  );
  assert.equal(shot.status, 0, shot.stderr);
  assert.ok(existsSync(png), 'screenshot written');
  const head = readFileSync(png).subarray(0, 8);
  assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.ok(statSync(png).size > 20000, 'a screenshot with content');
  console.log(`# report screenshot: ${png}`);
});
