// Behaviour of the JavaScript API against an independent implementation: RFC 4226
// truncation over node:crypto's HMAC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as lib from 'twostep-wasm';

const { Totp, hotp, parseUri, buildUri, generateSecret } = lib;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes) {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += ALPHABET[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}
function unbase32(text) {
  let bits = '';
  for (const c of text) bits += ALPHABET.indexOf(c).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}
function reference(key, counter, algorithm, digits) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm.replace('SHA', 'sha'), key).update(msg).digest();
  const o = mac[mac.length - 1] & 15;
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(BigInt(n) % 10n ** BigInt(digits)).padStart(digits, '0');
}

test('TOTP and HOTP codes match node:crypto for random keys, times and parameters', () => {
  for (let i = 0; i < 300; i++) {
    const key = randomBytes(10 + (i % 60));
    const algorithm = ['SHA1', 'SHA256', 'SHA512'][i % 3];
    const digits = 6 + (i % 5);
    const period = [30, 60, 1, 17][i % 4];
    const time = Math.floor(Math.random() * 2 ** 40);
    const totp = new Totp({ secret: base32(key), algorithm, digits, period });
    assert.equal(totp.code(time), reference(key, Math.floor(time / period), algorithm, digits));
    totp.free();
    const counter = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
    assert.equal(hotp(base32(key), counter, { algorithm, digits }), reference(key, counter, algorithm, digits));
  }
});

test('times at the edges: 0 and Number.MAX_SAFE_INTEGER', () => {
  const key = randomBytes(20);
  const totp = new Totp({ secret: base32(key) });
  assert.equal(totp.code(0), reference(key, 0, 'SHA1', 6));
  const max = Number.MAX_SAFE_INTEGER;
  assert.equal(totp.code(max), reference(key, Math.floor(max / 30), 'SHA1', 6));
  assert.equal(hotp(base32(key), max), reference(key, max, 'SHA1', 6));
});

test('time defaults to now', () => {
  const key = randomBytes(20);
  const totp = new Totp({ secret: base32(key) });
  for (;;) {
    const before = Math.floor(Date.now() / 1000);
    const code = totp.code();
    const remaining = totp.secondsRemaining();
    const after = Math.floor(Date.now() / 1000);
    if (Math.floor(before / 30) !== Math.floor(after / 30)) continue;
    assert.equal(code, reference(key, Math.floor(before / 30), 'SHA1', 6));
    assert.equal(remaining, 30 - (before % 30));
    assert.equal(totp.verify(code), Math.floor(before / 30));
    break;
  }
});

test('verify returns the matched step within the window, else null', () => {
  const key = randomBytes(20);
  const totp = new Totp({ secret: base32(key) });
  const t = 1_700_000_000;
  const step = t / 30 - (t / 30) % 1;
  const prev = reference(key, step - 1, 'SHA1', 6);
  const next2 = reference(key, step + 2, 'SHA1', 6);
  assert.equal(totp.verify(prev, { time: t }), step - 1);
  assert.equal(totp.verify(prev, { time: t, window: 0 }), null);
  assert.equal(totp.verify(next2, { time: t }), null);
  assert.equal(totp.verify(next2, { time: t, window: 2 }), step + 2);
  assert.equal(totp.verify('12345', { time: t }), null);
  assert.equal(totp.verify('abcdef', { time: t }), null);
  assert.equal(totp.secondsRemaining(t), 30 - (t % 30));
  assert.equal(totp.secondsRemaining(59), 1);
  assert.equal(totp.secondsRemaining(60), 30);
});

test('Totp exposes its parameters and fromUri reads them', () => {
  const totp = Totp.fromUri('otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A&algorithm=SHA512&digits=8&period=60');
  assert.deepEqual([totp.algorithm, totp.digits, totp.period], ['SHA512', 8, 60]);
  const key = unbase32('JBSWY3DPEHPK3PXP');
  assert.equal(totp.code(1234567), reference(key, Math.floor(1234567 / 60), 'SHA512', 8));
});

test('a Totp shows no secret, and free() wipes it and ends its use', async () => {
  const { inspect } = await import('node:util');
  const secret = 'JBSWY3DPEHPK3PXP';
  const totp = new Totp({ secret: secret.toLowerCase(), digits: 8 });
  for (const shown of [inspect(totp, { showHidden: true, depth: 9 }), JSON.stringify(totp), Object.keys(totp).join()])
    assert.ok(!shown.includes(secret) && !/74,66,83/.test(shown), shown);
  assert.equal(totp.code(59), reference(unbase32(secret), 1, 'SHA1', 8));
  totp.free();
  for (const use of [() => totp.code(59), () => totp.verify('12345678'), () => totp.secondsRemaining(), () => totp.digits])
    assert.throws(use, { name: 'TwostepError', code: 'invalid_argument' });
  totp.free();
  const scoped = Totp.fromUri('otpauth://totp/a?secret=' + secret);
  assert.equal(scoped.period, 30);
  scoped[Symbol.dispose](); // what `using` calls
  assert.throws(() => scoped.code(0), { code: 'invalid_argument' });
});

test('generateSecret: 20 random bytes by default, base32 without padding', () => {
  const seen = new Set();
  for (let i = 0; i < 50; i++) {
    const s = generateSecret();
    assert.match(s, /^[A-Z2-7]{32}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 50);
  assert.match(generateSecret(16), /^[A-Z2-7]{26}$/);
  assert.equal(unbase32(generateSecret(32)).length, 32);
  assert.equal(unbase32(generateSecret(256)).length, 256);
});

test('parseUri gives the plain object and buildUri gives it back', () => {
  const uri =
    'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60&image=https%3A%2F%2Fexample.com%2Fa.png';
  const k = parseUri(uri);
  assert.deepEqual(k, {
    type: 'totp',
    secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ',
    issuer: 'ACME Co',
    account: 'john.doe@email.com',
    algorithm: 'SHA256',
    digits: 8,
    period: 60,
    params: [['image', 'https://example.com/a.png']],
  });
  assert.deepEqual(parseUri(buildUri(k)), k);
  const h = parseUri('otpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&counter=42');
  assert.deepEqual(h, { type: 'hotp', secret: 'JBSWY3DPEHPK3PXP', account: 'bob', algorithm: 'SHA1', digits: 6, counter: 42 });
  assert.deepEqual(parseUri(buildUri(h)), h);
  assert.equal(
    buildUri({ type: 'totp', secret: 'jbsw y3dp ehpk 3pxp', account: 'alice@example.com', issuer: 'Example' }),
    'otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30',
  );
});

test('the nastiest field values cross the boundary unchanged (checked with WHATWG URL)', () => {
  // The module's argument and result lists carry any text: empty values, the list's own
  // ':' and digits, URI syntax, control characters, unpaired surrogates, astral Unicode.
  const values = ['', ':', '1:', '0:', '%', '%25', '&', '=', '?', '#', '+ +', 'a\u0000b', '\n\t\u001f\u007f', '\u00e9\u4e2d', '\u{1f510}x', '12:ab'];
  const names = ['image', 'x:y', '%', '\u00e9', '\u{1f510}', 'a=b', '9'];
  const k = {
    type: 'hotp',
    secret: 'JBSWY3DPEHPK3PXP',
    issuer: 'ACME % & = ? # + \u00e9 \u{1f510} 12',
    account: 'j\u00f6rg@example.com %&=?#+ 3:',
    algorithm: 'SHA512',
    digits: 8,
    counter: 0,
    params: values.map((v, i) => [names[i % names.length] + i, v]),
  };
  // A colon in the account would split the label: core refuses it.
  assert.throws(() => buildUri(k), { code: 'invalid_account' });
  k.account = k.account.replace(':', '');
  const uri = buildUri(k);
  assert.deepEqual(parseUri(uri), k);
  const url = new URL(uri);
  assert.equal(url.protocol, 'otpauth:');
  assert.equal(decodeURIComponent(url.pathname), '/' + k.issuer + ':' + k.account);
  assert.equal(url.searchParams.get('issuer'), k.issuer);
  for (const [name, value] of k.params) assert.equal(url.searchParams.get(name), value, name);
  // Unpaired surrogates become U+FFFD on the way in, as in every UTF-8 encoder.
  const lone = parseUri(buildUri({ ...k, params: [['s', 'a\ud800b']] }));
  assert.deepEqual(lone.params, [['s', 'a\ufffdb']]);
  // A counter above Number.MAX_SAFE_INTEGER cannot become a JavaScript number.
  assert.throws(() => parseUri('otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551615'), {
    code: 'invalid_argument',
  });
});

test('CommonJS require gets the same API', async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('twostep-wasm');
  assert.equal(cjs.hotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 0), '755224');
  assert.equal(typeof cjs.Totp, 'function');
  assert.equal(typeof (await import('twostep-wasm')).default, 'function', 'ESM has init() for browser-style code');
});

test('every entry exports exactly what index.d.ts declares', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const dts = readFileSync(require.resolve('twostep-wasm/package.json').replace(/package\.json$/, 'index.d.ts'), 'utf8');
  const declared = [...dts.matchAll(/^export (?:default )?(?:function|class) (\w+)/gm)]
    .map((m) => (m[0].includes('default') ? 'default' : m[1]))
    .sort();
  const names = (m) => Object.keys(m).filter((k) => k !== 'module.exports' && k !== '__esModule').sort();
  assert.ok(declared.includes('Totp') && declared.includes('default'), declared.join());
  assert.deepEqual(names(lib), declared, 'twostep-wasm (node, ESM)');
  assert.deepEqual(names(await import('twostep-wasm/web')), declared, 'twostep-wasm/web');
  assert.deepEqual(names(require('twostep-wasm')), declared, 'twostep-wasm (node, require)');
});
