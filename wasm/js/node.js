// The package's Node entry (ESM): wasm-bindgen's nodejs build loads the module
// synchronously on import, so `init` and `initSync` only exist for code shared with browsers.
// (`index.cjs` beside it is this file for `require`, bundled by esbuild.)
import * as wasm from './twostep_wasm.cjs';

export * from './api.js';

/** Nothing to load in Node; resolves at once. */
export default async function init() {
  return wasm;
}

/** Nothing to load in Node. */
export function initSync() {
  return wasm;
}
