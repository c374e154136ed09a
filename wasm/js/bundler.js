// The entry for bundlers that load WebAssembly as ES modules (webpack 5 `asyncWebAssembly`):
// the module is instantiated on import, so `init` and `initSync` only exist for code shared
// with the web build.
import * as wasm from './twostep_wasm.js';

export * from './api.js';

/** Nothing to load; resolves at once. */
export default async function init() {
  return wasm;
}

/** Nothing to load. */
export function initSync() {
  return wasm;
}
