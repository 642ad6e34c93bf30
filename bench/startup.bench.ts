/**
 * Start-up cost (issues 11 and 15): `celldeconv --help`, `celldeconv info` on a PBMC3k .h5ad and
 * `import('celldeconv')`, from the compiled dist/ and from the sources through tsx. Each command runs
 * STARTUP_REPEATS times (default 5), alternating the variants so that machine load hits them alike;
 * the table gives the median wall time and the median CPU time (user + system, from /usr/bin/time),
 * the figure that stands for an idle machine when others share the cores.
 *
 * STARTUP_BEFORE=DIR also times an older checkout (e.g. a clone of the commit before the change,
 * with node_modules linked) through tsx, as "before".
 *
 * Run: npm run build && npm run bench -- startup
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const repeats = Number(process.env.STARTUP_REPEATS ?? 5);
const before = process.env.STARTUP_BEFORE;
const tmp = join(root, '.bench-tmp');
mkdirSync(tmp, { recursive: true });
const h5ad = join(tmp, 'pbmc3k.h5ad');

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is not built: run `npm run build` first');
  process.exit(1);
}
if (!existsSync('/usr/bin/time')) {
  console.error('/usr/bin/time is needed for CPU times (Debian package "time")');
  process.exit(1);
}
if (!existsSync(h5ad)) {
  const r = spawnSync(process.execPath, ['bin/celldeconv.js', 'convert', 'pbmc3k', h5ad, '--quiet'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

interface Variant {
  name: string;
  cwd: string;
  argv: (what: 'help' | 'info' | 'import') => string[];
  env?: Record<string, string>;
}

const fromDist: Variant = {
  name: 'dist (compiled)',
  cwd: root,
  argv: (w) =>
    w === 'import' ? ['-e', "await import('./dist/index.js')"] : ['bin/celldeconv.js', ...(w === 'help' ? ['--help'] : ['info', h5ad])],
};
const fromSource = (name: string, cwd: string): Variant => ({
  name,
  cwd,
  env: { CELLDECONV_FROM_SOURCE: '1' },
  argv: (w) =>
    w === 'import'
      ? ['--import', 'tsx', '-e', "await import('./src/index.ts')"]
      : ['--import', 'tsx', 'src/cli/main.ts', ...(w === 'help' ? ['--help'] : ['info', h5ad])],
});
const variants: Variant[] = [fromDist, fromSource('sources via tsx (this checkout)', root)];
if (before) variants.push(fromSource(`before: sources via tsx (${before})`, before));

function once(v: Variant, what: 'help' | 'info' | 'import'): { wall: number; cpu: number; rssMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, ...v.argv(what)], {
    cwd: v.cwd,
    encoding: 'utf8',
    env: { ...process.env, ...v.env },
  });
  if (r.status !== 0) throw new Error(`${v.name} ${what} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const [wall, user, sys, rss] = last.split(' ').map(Number) as [number, number, number, number];
  return { wall, cpu: user + sys, rssMb: rss / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const load0 = loadavg()[0] as number;
const rows: string[] = [];
for (const what of ['help', 'info', 'import'] as const) {
  const times = new Map<string, { wall: number[]; cpu: number[]; rss: number[] }>();
  for (let k = 0; k < repeats; k++) {
    for (const v of variants) {
      const t = once(v, what);
      const m = times.get(v.name) ?? { wall: [], cpu: [], rss: [] };
      m.wall.push(t.wall);
      m.cpu.push(t.cpu);
      m.rss.push(t.rssMb);
      times.set(v.name, m);
    }
  }
  const label = what === 'help' ? '`celldeconv --help`' : what === 'info' ? '`celldeconv info pbmc3k.h5ad`' : "`import('celldeconv')`";
  for (const [name, m] of times) {
    rows.push(`| ${label} | ${name} | ${median(m.wall).toFixed(2)} | ${median(m.cpu).toFixed(2)} | ${median(m.rss).toFixed(0)} |`);
  }
}
console.log(`\n${cpus().length} cores, load average ${load0.toFixed(1)} -> ${(loadavg()[0] as number).toFixed(1)}; median of ${repeats}\n`);
console.log('| command | variant | wall (s) | CPU (s) | peak RSS (MB) |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
