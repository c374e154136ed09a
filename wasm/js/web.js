// The package's browser entry: the API, and wasm-bindgen's `init`/`initSync` that load the
// module (await `init()` once before anything else).
export * from './api.js';
export { default, initSync } from './twostep_wasm.js';
