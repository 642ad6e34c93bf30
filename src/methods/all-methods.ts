/**
 * Importing this module registers every built-in method. One line per method; keep the order:
 * it is the order of `--method all` and of the report.
 */
import './linear/ols.js';
import './linear/nnls.js';
import './linear/rlr.js';
import './linear/wnnls.js';
import './linear/dwls.js';
import './linear/nusvr.js';
import './decovart/index.js';
import './deep/scaden/index.js';
import './deep/tape/index.js';
import './deep/simplednn/index.js';
import './deep/mixupvi/index.js';
import './deep/scvi/index.js';
import './deep/dgd/index.js';
