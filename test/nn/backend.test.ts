import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../src/core/errors.js';
import { availableBackends, initBackend } from '../../src/nn/backend.js';

test('auto picks tfjs-node when installed, else wasm; explicit choices and typos', async () => {
  const avail = await availableBackends();
  assert.ok(avail.includes('cpu') && avail.includes('wasm'), `available: ${avail}`);
  const saved = process.env.CELLDECONV_BACKEND;
  delete process.env.CELLDECONV_BACKEND;
  try {
    const info = await initBackend('auto');
    assert.equal(info.name, avail[0]);
    if (info.name === 'wasm') {
      assert.equal(info.skipped[0]?.name, 'tensorflow');
      assert.equal(typeof info.simd, 'boolean');
    }
    assert.equal((await initBackend('cpu')).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    process.env.CELLDECONV_BACKEND = 'wasm';
    assert.equal((await initBackend()).name, 'wasm');
    await assert.rejects(initBackend('gpu'), (e: unknown) => e instanceof BackendError && e.code === 'E_BACKEND_NAME');
  } finally {
    if (saved === undefined) delete process.env.CELLDECONV_BACKEND;
    else process.env.CELLDECONV_BACKEND = saved;
  }
});
