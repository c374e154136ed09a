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

test('no copy of a secret is left in WebAssembly memory after the calls that carried it', () => {
  // A secret no other test uses, as base32 and as raw bytes (20 bytes: 0xa5, 0x5a, 0x3c, ...).
  const raw = Buffer.from(Array.from({ length: 20 }, (_, i) => (0xa5 ^ (i * 37)) & 0xff));
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of raw) bits += b.toString(2).padStart(8, '0');
  let b32 = '';
  for (let i = 0; i < bits.length; i += 5) b32 += ALPHABET[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  const uri = `otpauth://totp/ACME:alice?secret=${b32}&issuer=ACME&image=x`;

  const memory = () => Buffer.from(exports.memory.buffer);
  const calls = {
    'new Totp, code, verify, secondsRemaining, free': () => {
      const totp = new web.Totp({ secret: b32 });
      totp.code(59);
      totp.verify('000000', { time: 59 });
      totp.secondsRemaining(59);
      totp.free();
    },
    'Totp.fromUri': () => web.Totp.fromUri(uri).free(),
    hotp: () => web.hotp(b32, 1),
    parseUri: () => web.parseUri(uri),
    buildUri: () => web.buildUri({ ...web.parseUri(uri), params: [['image', 'y'.repeat(300)]] }),
    qrSvg: () => web.qrSvg(uri),
    qrPng: () => web.qrPng(uri),
    qrDataUrl: () => web.qrDataUrl(uri),
    'a failing parseUri': () => assert.throws(() => web.parseUri(uri + '&issuer=ACME'), { code: 'invalid_uri' }),
  };
  for (const [name, call] of Object.entries(calls)) {
    call();
    const m = memory();
    assert.equal(m.indexOf(b32), -1, `${name}: the base32 secret is still in memory`);
    assert.equal(m.indexOf(b32.toLowerCase()), -1, name);
    assert.equal(m.indexOf(raw.subarray(0, 10)), -1, `${name}: secret bytes are still in memory`);
  }
});
