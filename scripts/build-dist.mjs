#!/usr/bin/env node
// `npm run build` / the "prepare" lifecycle script: compiles src/ to dist/ with the local TypeScript
// (no network), so that bin/celldeconv.js starts from JavaScript (~0.2 CPU-s) instead of tsx
// (3-4 CPU-s). Where TypeScript is not installed (an install that omits dev dependencies) it says so
// and leaves dist/ alone: the CLI then runs the sources through tsx when present.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  console.error('celldeconv: TypeScript is not installed; dist/ not built (the CLI will run the sources through tsx).');
  process.exit(0);
}
const root = new URL('..', import.meta.url).pathname;
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
