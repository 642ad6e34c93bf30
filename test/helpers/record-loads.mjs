// `node --import ./test/helpers/record-loads.mjs ...`: appends the URL of every module the ESM
// loader loads to the file named by RECORD_LOADS_FILE (one per line), so that a test can tell which
// packages a command or an import pulled in. Used by test/api/lazy-loading.test.ts.
import { register } from 'node:module';

if (process.env.RECORD_LOADS_FILE) {
  register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_LOADS_FILE } });
}
