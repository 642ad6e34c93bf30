/**
 * `celldeconv train mixupvi` interrupted by SIGINT mid-epoch, then resumed with `--resume`, ends with
 * the same weights (bit for bit) as an uninterrupted run of the same seed (issue 11).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeDataset } from '../../src/io/read.js';
import { cli } from '../helpers/cli.js';
import { syntheticCounts } from '../methods/deep/mixupvi/synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-resume-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = [
  'nHvg=0',
  'hidden=16',
  'batchSize=16',
  'nPseudobulks=4',
  'nCellsPerPseudobulk=8',
  'validationBatches=1',
  'workers=1',
  'shards=1',
];

function trainArgs(refPath: string, out: string): string[] {
  const args = ['train', 'mixupvi', '--reference', refPath, '--labels', 'cell_type', '--out', out, '--seed', '5'];
  args.push('--epochs', '6', '--latent', '5', '--backend', 'wasm', '--checkpoint-every', '1', '--quiet');
  for (const s of tiny) args.push('--set', s);
  return args;
}

test('train mixupvi: SIGINT mid-epoch, then --resume -> the same weights as an uninterrupted run', async () => {
  const ref = syntheticCounts({ nCells: 150, nGenes: 20, nTypes: 3 });
  const refPath = join(tmp, 'ref.h5ad');
  await writeDataset(refPath, ref);

  const full = join(tmp, 'full');
  const r0 = await cli(trainArgs(refPath, full));
  assert.equal(r0.code, 0, r0.err);
  assert.ok(!existsSync(`${full}.checkpoint`), 'checkpoints removed once the model is saved');

  const part = join(tmp, 'part');
  const ck = join(`${part}.checkpoint`, 'checkpoint.json');
  // Interrupt once the checkpoint of epoch 2 exists, i.e. somewhere inside epoch 3.
  let sent = false;
  const timer = setInterval(() => {
    if (sent || !existsSync(ck)) return;
    const meta = JSON.parse(readFileSync(ck, 'utf8')) as { nextEpoch: number };
    if (meta.nextEpoch >= 2) {
      sent = true;
      process.kill(process.pid, 'SIGINT');
    }
  }, 5);
  const r1 = await cli(trainArgs(refPath, part));
  clearInterval(timer);
  assert.ok(sent, 'the run was interrupted');
  assert.equal(r1.code, 130, `aborted exit code; stderr: ${r1.err}`);
  assert.ok(!existsSync(join(part, 'weights.bin')), 'no model written by the interrupted run');
  const stoppedAt = (JSON.parse(readFileSync(ck, 'utf8')) as { nextEpoch: number }).nextEpoch;
  assert.ok(stoppedAt >= 2 && stoppedAt < 6, `interrupted before the end (checkpoint at epoch ${stoppedAt})`);

  const r2 = await cli([...trainArgs(refPath, part), '--resume']);
  assert.equal(r2.code, 0, r2.err);
  assert.deepEqual(readFileSync(join(part, 'weights.bin')), readFileSync(join(full, 'weights.bin')), 'same weights, bit for bit');
  const mf = (d: string) => JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
  assert.deepEqual(mf(part).latentSignature, mf(full).latentSignature);
  assert.equal(mf(part).training.resumedFromEpoch, stoppedAt);

  // A checkpoint of another run is refused with a typed error; --resume without checkpoints too.
  const r3 = await cli([...trainArgs(refPath, join(tmp, 'none')), '--resume']);
  assert.equal(r3.code, 3);
  assert.match(r3.err, /E_CHECKPOINT/);
});
