// core's shared vectors (otp.json, uri.json, migration.json) through the packed twostep-wasm package, in plain Node ESM.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import * as lib from 'twostep-wasm';
import { migrationChecks, otpChecks, uriChecks } from '../shared/vectors.mjs';

import { pathToFileURL } from 'node:url';

// TWOSTEP_VECTORS_DIR points at another copy of the vectors (for trying new cases).
const vectors = process.env.TWOSTEP_VECTORS_DIR
  ? pathToFileURL(`${process.env.TWOSTEP_VECTORS_DIR}/`)
  : new URL('../../../core/tests/vectors/', import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, vectors), 'utf8'));

const checks = [
  ...otpChecks(lib, load('otp.json')),
  ...uriChecks(lib, load('uri.json')),
  ...migrationChecks(lib, load('migration.json')),
];
for (const check of checks) {
  test(check.name, () => check.run());
}
