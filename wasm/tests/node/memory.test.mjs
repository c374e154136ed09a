// The allocator gives memory back: thousands of calls of every kind, including throwing
// ones, leave the WebAssembly memory no larger than after the first round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as web from 'twostep-wasm/web';

const require = createRequire(import.meta.url);
const wasmFile = require.resolve('twostep-wasm/package.json').replace(/package\.json$/, 'web/twostep_wasm_bg.wasm');
const exports = web.initSync({ module: readFileSync(wasmFile) });

const URI = 'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co';

function round(i) {
  const secret = web.generateSecret(16 + (i % 200));
  const totp = new web.Totp({ secret, algorithm: ['SHA1', 'SHA256', 'SHA512'][i % 3] });
  totp.verify(totp.code(i * 30), { time: i * 30 });
  totp.free();
  web.buildUri(web.parseUri(URI));
  web.qrSvg(URI + '&n=' + 'x'.repeat(i % 500));
  web.qrPng(URI, { scale: 1 + (i % 8) });
  try {
    web.parseUri('otpauth://totp/a?secret=' + '1'.repeat(i % 300));
  } catch (e) {
    assert.equal(e.name, 'TwostepError');
  }
}

test('memory stays flat over many calls', () => {
  for (let i = 0; i < 500; i++) round(i);
  const settled = exports.memory.buffer.byteLength;
  for (let i = 0; i < 3000; i++) round(i);
  assert.equal(exports.memory.buffer.byteLength, settled, 'the module kept growing');
});
