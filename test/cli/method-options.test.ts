/**
 * The option schema as the CLI and the library see it: `train <method> --help` lists the method's
 * options with defaults and quick values, flags are derived from the schema, unknown or bad options
 * are E_OPTION (exit 2) before any work, and paired training needs no --reference.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import '../../src/methods/all-methods.js';
import { checkOptions, describeOptions, expectedValue, kebabCase, schemaOf } from '../../src/methods/option-schema.js';
import { allMethods, getMethod } from '../../src/methods/registry.js';
import { cli } from '../helpers/cli.js';

const MISSING = join('no', 'such', 'reference.h5ad');

test('every built-in method has a schema covering exactly its defaults (plus optional, unset options)', () => {
  for (const spec of allMethods()) {
    assert.ok(spec.options, `${spec.name} has no option schema`);
    const schema = schemaOf(spec);
    for (const k of Object.keys(spec.defaults as object)) assert.ok(k in schema, `${spec.name}: default '${k}' not in the schema`);
    for (const [k, def] of Object.entries(schema)) {
      const d = (spec.defaults as Record<string, unknown>)[k];
      if (d === undefined) assert.ok(def.optional, `${spec.name}: '${k}' has no default and is not optional`);
      // Every default and every quick value passes its own schema.
      else assert.deepEqual(checkOptions(spec.name, schema, { [k]: d }), { [k]: d }, `${spec.name}.${k}`);
      assert.ok(def.help.length >= 8, `${spec.name}.${k} has no help`);
    }
    checkOptions(spec.name, schema, (spec.quickOptions ?? {}) as Record<string, unknown>);
  }
});

test('checkOptions converts CLI strings and rejects unknown keys and bad values with E_OPTION', () => {
  const nusvr = getMethod('nusvr');
  assert.deepEqual(checkOptions('nusvr', schemaOf(nusvr), { C: '2', shrinking: 'false', nus: '0.25,0.5', solver: 'libsvm' }), {
    C: 2,
    shrinking: false,
    nus: [0.25, 0.5],
    solver: 'libsvm',
  });
  assert.throws(
    () => checkOptions('nusvr', schemaOf(nusvr), { solvr: 'ipm' }),
    (e: Error & { code?: string; hint?: string }) =>
      e.code === 'E_OPTION' &&
      /has no option 'solvr'/.test(e.message) &&
      /mode, nus, permutations, solver/.test(e.message) &&
      /Did you mean 'solver'/.test(e.message),
  );
  assert.throws(() => checkOptions('nusvr', schemaOf(nusvr), { C: '-1' }), { code: 'E_OPTION', field: 'C' });
  assert.throws(() => checkOptions('nusvr', schemaOf(nusvr), { C: '1x' }), { code: 'E_OPTION', field: 'C' });
  assert.throws(() => checkOptions('nusvr', schemaOf(nusvr), { solver: 'smo' }), /one of libsvm, ipm/);
  assert.equal(kebabCase('nCellsPerPseudobulk'), 'n-cells-per-pseudobulk');
  assert.equal(expectedValue({ type: 'integer', min: 1, help: '' }), 'an integer >= 1');
});

test('a library call with an unknown option fails with E_OPTION before any work', async () => {
  for (const name of ['nnls', 'decovart', 'scaden', 'tape', 'simplednn', 'mixupvi', 'scvi']) {
    // A null reference would be an error of its own: the option is checked first.
    await assert.rejects(
      getMethod(name).fit(null, { labelsKey: 'cell_type', options: { bogus: 1 } }),
      { code: 'E_OPTION', field: 'bogus' },
      name,
    );
  }
});

test('train <method> --help lists the method options with defaults and quick values; the flags work', async () => {
  const h = await cli(['train', 'mixupvi', '--help']);
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /Options of mixupvi/);
  assert.match(h.out, /--hvg .*default: 2500; quick: 500/);
  assert.match(h.out, /--mixup-penalty .*one of l2, kl, none; default: l2/);
  const s = await cli(['train', 'scaden', '--help']);
  // Paired training options are listed (issue 16).
  for (const flag of ['--training-data', '--paired-bulk', '--paired-proportions', '--n-aug', '--aug-ratio'])
    assert.match(s.out, new RegExp(flag));
  assert.match(s.out, /--steps .*default: 5000; quick: 500/);
  const plain = await cli(['train', '--help']);
  assert.match(plain.out, /celldeconv train METHOD --help/);
  // Every method's help renders.
  for (const spec of allMethods()) assert.ok(describeOptions(spec, true).length > 0);
});

test('train: unknown and bad options are E_OPTION (exit 2) before the reference is read', async () => {
  let r = await cli(['train', 'scaden', '--reference', MISSING, '--labels', 'x', '--out', 'm', '--set', 'bogus=1']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /E_OPTION.*has no option 'bogus'.*steps/);
  r = await cli(['train', 'mixupvi', '--reference', MISSING, '--labels', 'x', '--out', 'm', '--epochs', 'many']);
  assert.equal(r.code, 2);
  assert.match(r.err, /E_OPTION.*epochs.*an integer >= 1/);
  r = await cli(['train', 'mixupvi', '--reference', MISSING, '--out', 'm', '--epoch', '3']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option '--epoch'\. Did you mean '--epochs'\?/);
  r = await cli(['train', 'scaden', '--reference', MISSING, '--out', 'm', '--latent', '3']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option '--latent'/);
  r = await cli(['train', 'cibersort', '--reference', MISSING, '--out', 'm']);
  assert.equal(r.code, 2);
  assert.match(r.err, /E_UNKNOWN_METHOD.*Did you mean 'nusvr'/);
});

test('paired training does not demand --reference (it fails on the missing paired data instead)', async () => {
  const r = await cli(['train', 'scaden', '--training-data', 'paired', '--out', join('no', 'such', 'dir'), '--backend', 'cpu']);
  assert.equal(r.code, 3, r.err);
  assert.match(r.err, /E_NO_PAIRED/);
  assert.doesNotMatch(r.err, /--reference/);
});

test('deconvolve: --method M --help lists M options; --set with a list of methods must fit one of them', async () => {
  const h = await cli(['deconvolve', '--method', 'nnls,dwls', '--help']);
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /Options of nnls[\s\S]*fitIntercept[\s\S]*Options of dwls[\s\S]*dampening/);
  const r = await cli([
    'deconvolve',
    '--method',
    'nnls,dwls',
    '--signature',
    MISSING,
    '--bulk',
    MISSING,
    '--out',
    'x.csv',
    '--set',
    'bogus=1',
  ]);
  assert.equal(r.code, 2);
  assert.match(r.err, /none of the methods nnls, dwls has an option 'bogus'/);
  const m = await cli(['methods', 'dwls']);
  assert.equal(m.code, 0);
  assert.match(m.out, /dampening .*default: auto/);
});
