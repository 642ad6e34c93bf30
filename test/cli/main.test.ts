import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { packageVersion, runCli } from '../../src/cli/main.js';
import { capture } from '../helpers/cli.js';

test('--version prints the package version', async () => {
  const o = capture();
  assert.equal(await runCli(['--version'], { stdout: o.stream }), 0);
  assert.equal(o.text().trim(), packageVersion());
});

test('every command has --help', async () => {
  for (const c of COMMANDS) {
    const o = capture();
    assert.equal(await runCli([c.name, '--help'], { stdout: o.stream }), 0, c.name);
    assert.match(o.text(), new RegExp(`Usage: celldeconv ${c.name}`));
  }
});

test('unknown command and unknown option are usage errors (exit 2) with one line', async () => {
  const e = capture();
  assert.equal(await runCli(['frobnicate'], { stderr: e.stream }), 2);
  assert.match(e.text(), /unknown command 'frobnicate'/);
  const e2 = capture();
  assert.equal(await runCli(['methods', '--nope'], { stderr: e2.stream }), 2);
  assert.match(e2.text(), /--nope/);
});
