import { setWasmKernelsEnabled } from '../../src/linalg/wasm/kernels.js';

/**
 * Runs `f` with the WebAssembly kernels turned off (the JavaScript fallback loops), then turns
 * them back on: the parity tests compare both code paths in one process.
 */
export async function withJavaScriptKernels<T>(f: () => T | Promise<T>): Promise<T> {
  setWasmKernelsEnabled(false);
  try {
    return await f();
  } finally {
    setWasmKernelsEnabled(true);
  }
}
