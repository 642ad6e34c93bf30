/**
 * Child process of the queue test: `celldeconv worker` through the real CLI entry, with the test's
 * slow method registered. Usage: node --import tsx worker-child.ts worker --queue URL ...
 */
import { runCli } from '../../../src/cli/main.js';
import { registerSlowMethod } from './slow-method.js';

registerSlowMethod();
process.exitCode = await runCli(process.argv.slice(2));
