#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm install` through the "prepare" script, or
// shipped in the package): about 0.2 CPU-seconds to start. In a checkout whose sources are newer
// than dist/ (someone edited src/ since the last build), it runs the TypeScript sources through tsx
// instead (3-4 CPU-seconds to start), so a stale build is never used. CELLDECONV_FROM_SOURCE=1
// forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const src = fileURLToPath(new URL('../src/', import.meta.url));

/** Newest modification time (ms) of the .ts files under dir, or 0 when there is no dir. */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const t = statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function distIsFresh() {
  if (process.env.CELLDECONV_FROM_SOURCE === '1' || !existsSync(dist)) return false;
  return newestSource(src) <= statSync(dist).mtimeMs;
}

let mod;
if (distIsFresh()) {
  mod = await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
process.exitCode = await mod.runCli(process.argv.slice(2));
