#!/usr/bin/env node
// Runs the TypeScript sources through tsx (a runtime dependency), or the compiled dist/ when built.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
let mod;
if (existsSync(dist)) {
  mod = await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
process.exitCode = await mod.runCli(process.argv.slice(2));
