/**
 * Worker-thread entry that trains one Scaden ensemble member (members are independent, so the
 * three can run on separate cores). Receives a {@link MemberTask}, posts progress messages and
 * finally the trained weights. Seeding is identical to training on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { DenseMatrix } from '../../../data/dense.js';
import { initBackend } from '../../../nn/backend.js';
import { type MemberTask, trainMember } from './ensemble.js';

const port = parentPort;
if (port) {
  port.on('message', async (task: MemberTask) => {
    try {
      await initBackend(task.backend);
      const data = {
        X: new DenseMatrix(task.rows, task.cols, task.X),
        Y: new DenseMatrix(task.rows, task.nTypes, task.Y),
      };
      const out = await trainMember(task, data, (step) => port.postMessage({ type: 'progress', member: task.member, step }));
      port.postMessage({ type: 'done', member: task.member, ...out });
    } catch (e) {
      port.postMessage({
        type: 'error',
        member: task.member,
        message: (e as Error)?.message ?? String(e),
        code: (e as { code?: string }).code,
      });
    }
  });
}
