// Every bad-input class gives a TwostepError with its documented code: never a
// `RuntimeError: unreachable`, a panic message, or a broken module afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from 'twostep-wasm';

const { Totp, hotp, parseUri, buildUri, generateSecret, isTwostepError } = lib;
const SECRET = 'JBSWY3DPEHPK3PXP';
const URI = `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example`;

function throwsCode(fn, code) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown, `expected a ${code} error`);
  assert.ok(thrown instanceof Error, `not an Error: ${thrown}`);
  assert.equal(thrown.name, 'TwostepError', String(thrown));
  assert.equal(thrown.code, code, String(thrown));
  assert.ok(isTwostepError(thrown));
  assert.doesNotMatch(thrown.message, /unreachable|panicked|RuntimeError/);
  assert.ok(thrown.message.length > 0);
}

const cases = {
  // generateSecret
  'generateSecret: too short': [() => generateSecret(15), 'invalid_secret_length'],
  'generateSecret: too long': [() => generateSecret(257), 'invalid_secret_length'],
  'generateSecret: fraction': [() => generateSecret(20.5), 'invalid_argument'],
  'generateSecret: string': [() => generateSecret('20'), 'invalid_argument'],
  'generateSecret: negative': [() => generateSecret(-20), 'invalid_argument'],
  // new Totp
  'Totp: no options': [() => new Totp(), 'invalid_argument'],
  'Totp: string options': [() => new Totp(SECRET), 'invalid_argument'],
  'Totp: missing secret': [() => new Totp({}), 'missing_secret'],
  'Totp: secret not a string': [() => new Totp({ secret: 42 }), 'invalid_argument'],
  'Totp: bad base32': [() => new Totp({ secret: 'JBSW1DPE' }), 'invalid_base32'],
  'Totp: empty secret': [() => new Totp({ secret: '' }), 'invalid_base32'],
  'Totp: bad padding': [() => new Totp({ secret: 'MZ=XQ' }), 'invalid_base32'],
  'Totp: secret too long': [() => new Totp({ secret: 'A'.repeat(8 * 52) }), 'invalid_secret_length'],
  'Totp: MD5': [() => new Totp({ secret: SECRET, algorithm: 'MD5' }), 'unsupported_algorithm'],
  'Totp: SHA-1 spelled with a dash': [() => new Totp({ secret: SECRET, algorithm: 'SHA-1' }), 'unsupported_algorithm'],
  'Totp: algorithm not a string': [() => new Totp({ secret: SECRET, algorithm: 1 }), 'invalid_argument'],
  'Totp: 5 digits': [() => new Totp({ secret: SECRET, digits: 5 }), 'invalid_digits'],
  'Totp: 11 digits': [() => new Totp({ secret: SECRET, digits: 11 }), 'invalid_digits'],
  'Totp: 6.5 digits': [() => new Totp({ secret: SECRET, digits: 6.5 }), 'invalid_argument'],
  'Totp: digits as string': [() => new Totp({ secret: SECRET, digits: '6' }), 'invalid_argument'],
  'Totp: period 0': [() => new Totp({ secret: SECRET, period: 0 }), 'invalid_period'],
  'Totp: period 2^32': [() => new Totp({ secret: SECRET, period: 2 ** 32 }), 'invalid_argument'],
  'Totp: negative period': [() => new Totp({ secret: SECRET, period: -30 }), 'invalid_argument'],
  // times
  'code: negative time': [() => new Totp({ secret: SECRET }).code(-1), 'invalid_argument'],
  'code: fractional time': [() => new Totp({ secret: SECRET }).code(1.5), 'invalid_argument'],
  'code: time above 2^53': [() => new Totp({ secret: SECRET }).code(2 ** 53), 'invalid_argument'],
  'code: NaN': [() => new Totp({ secret: SECRET }).code(NaN), 'invalid_argument'],
  'code: Infinity': [() => new Totp({ secret: SECRET }).code(Infinity), 'invalid_argument'],
  'code: time as string': [() => new Totp({ secret: SECRET }).code('59'), 'invalid_argument'],
  'code: time as BigInt': [() => new Totp({ secret: SECRET }).code(59n), 'invalid_argument'],
  'secondsRemaining: negative': [() => new Totp({ secret: SECRET }).secondsRemaining(-1), 'invalid_argument'],
  'verify: code as number': [() => new Totp({ secret: SECRET }).verify(123456), 'invalid_argument'],
  'verify: window 256': [() => new Totp({ secret: SECRET }).verify('123456', { window: 256 }), 'invalid_argument'],
  'verify: window -1': [() => new Totp({ secret: SECRET }).verify('123456', { window: -1 }), 'invalid_argument'],
  'verify: options not an object': [() => new Totp({ secret: SECRET }).verify('123456', 59), 'invalid_argument'],
  'verify: bad time': [() => new Totp({ secret: SECRET }).verify('123456', { time: 0.5 }), 'invalid_argument'],
  // hotp
  'hotp: negative counter': [() => hotp(SECRET, -1), 'invalid_argument'],
  'hotp: counter above 2^53': [() => hotp(SECRET, 2 ** 53), 'invalid_argument'],
  'hotp: bad secret': [() => hotp('not base32!', 0), 'invalid_base32'],
  'hotp: bad digits': [() => hotp(SECRET, 0, { digits: 4 }), 'invalid_digits'],
  'hotp: bad algorithm': [() => hotp(SECRET, 0, { algorithm: 'SHA3' }), 'unsupported_algorithm'],
  // key URIs
  'parseUri: not a string': [() => parseUri(42), 'invalid_argument'],
  'parseUri: http URL': [() => parseUri('https://example.com/'), 'invalid_uri'],
  'parseUri: unknown type': [() => parseUri(`otpauth://motp/a?secret=${SECRET}`), 'unsupported_type'],
  'parseUri: no secret': [() => parseUri('otpauth://totp/a'), 'missing_secret'],
  'parseUri: bad secret': [() => parseUri('otpauth://totp/a?secret=1111'), 'invalid_base32'],
  'parseUri: no account': [() => parseUri(`otpauth://totp/Example:?secret=${SECRET}`), 'invalid_account'],
  'parseUri: issuer mismatch': [() => parseUri(`otpauth://totp/A:b?secret=${SECRET}&issuer=B`), 'issuer_mismatch'],
  'parseUri: hotp without counter': [() => parseUri(`otpauth://hotp/a?secret=${SECRET}`), 'missing_counter'],
  'parseUri: bad counter': [() => parseUri(`otpauth://hotp/a?secret=${SECRET}&counter=x`), 'invalid_counter'],
  'parseUri: counter above 2^53': [
    () => parseUri(`otpauth://hotp/a?secret=${SECRET}&counter=18446744073709551615`),
    'invalid_argument',
  ],
  'parseUri: bad digits': [() => parseUri(`otpauth://totp/a?secret=${SECRET}&digits=12`), 'invalid_digits'],
  'parseUri: bad period': [() => parseUri(`otpauth://totp/a?secret=${SECRET}&period=0`), 'invalid_period'],
  'parseUri: bad algorithm': [() => parseUri(`otpauth://totp/a?secret=${SECRET}&algorithm=MD5`), 'unsupported_algorithm'],
  'Totp.fromUri: HOTP URI': [() => Totp.fromUri(`otpauth://hotp/a?secret=${SECRET}&counter=1`), 'unsupported_type'],
  'Totp.fromUri: not a string': [() => Totp.fromUri(undefined), 'invalid_argument'],
  'buildUri: not an object': [() => buildUri(URI), 'invalid_argument'],
  'buildUri: unknown type': [() => buildUri({ type: 'motp', secret: SECRET, account: 'a' }), 'unsupported_type'],
  'buildUri: no secret': [() => buildUri({ type: 'totp', account: 'a' }), 'invalid_argument'],
  'buildUri: empty secret': [() => buildUri({ type: 'totp', secret: ' ', account: 'a' }), 'missing_secret'],
  'buildUri: totp with a counter': [() => buildUri({ type: 'totp', secret: SECRET, account: 'a', counter: 1 }), 'invalid_uri'],
  'buildUri: fractional counter': [() => buildUri({ type: 'hotp', secret: SECRET, account: 'a', counter: 0.5 }), 'invalid_argument'],
  'buildUri: digits 4': [() => buildUri({ type: 'totp', secret: SECRET, account: 'a', digits: 4 }), 'invalid_digits'],
  'buildUri: colon in account': [() => buildUri({ type: 'totp', secret: SECRET, account: 'a:b' }), 'invalid_account'],
  'buildUri: empty issuer': [() => buildUri({ type: 'totp', secret: SECRET, account: 'a', issuer: '' }), 'invalid_issuer'],
  'buildUri: hotp without counter': [() => buildUri({ type: 'hotp', secret: SECRET, account: 'a' }), 'missing_counter'],
  'buildUri: reserved param': [
    () => buildUri({ type: 'totp', secret: SECRET, account: 'a', params: [['secret', 'x']] }),
    'invalid_uri',
  ],
  'buildUri: param value not a string': [
    () => buildUri({ type: 'totp', secret: SECRET, account: 'a', params: [['image', 1]] }),
    'invalid_argument',
  ],
  'buildUri: params as an object': [
    () => buildUri({ type: 'totp', secret: SECRET, account: 'a', params: { image: 'x' } }),
    'invalid_argument',
  ],
  // QR codes
  'qrSvg: text not a string': [() => lib.qrSvg(42), 'invalid_argument'],
  'qrSvg: too long for a QR code': [() => lib.qrSvg('x'.repeat(3000)), 'data_too_long'],
  'qrSvg: too long at level H': [() => lib.qrSvg('x'.repeat(1300), { ec: 'H' }), 'data_too_long'],
  'qrSvg: unknown ec level': [() => lib.qrSvg(URI, { ec: 'X' }), 'invalid_ec_level'],
  'qrSvg: ec level as a number': [() => lib.qrSvg(URI, { ec: 1 }), 'invalid_argument'],
  'qrSvg: bad colour': [() => lib.qrSvg(URI, { dark: 'red' }), 'invalid_color'],
  'qrDataUrl: bad colour': [() => lib.qrDataUrl(URI, { light: '#12' }), 'invalid_color'],
  'qrPng: scale 0': [() => lib.qrPng(URI, { scale: 0 }), 'invalid_scale'],
  'qrPng: scale 65': [() => lib.qrPng(URI, { scale: 65 }), 'invalid_scale'],
  'qrPng: fractional scale': [() => lib.qrPng(URI, { scale: 1.5 }), 'invalid_argument'],
  'qrPng: negative quiet zone': [() => lib.qrPng(URI, { quietZone: -1 }), 'invalid_argument'],
  // migration
  'importMigration: not a string': [() => lib.importMigration(null), 'invalid_argument'],
  'importMigration: array with a number': [() => lib.importMigration([1]), 'invalid_argument'],
  'importMigration: a key URI': [() => lib.importMigration(URI), 'invalid_migration'],
  'importMigration: bad base64': [() => lib.importMigration('otpauth-migration://offline?data=%%%'), 'invalid_migration'],
  'importMigration: truncated payload': [() => lib.importMigration('otpauth-migration://offline?data=CgoKBQ'), 'invalid_migration'],
};

for (const [name, [fn, code]] of Object.entries(cases)) {
  test(`${name} -> ${code}`, () => throwsCode(fn, code));
}

test('the module keeps working after every error', () => {
  const totp = new Totp({ secret: SECRET });
  assert.match(totp.code(0), /^\d{6}$/);
  assert.deepEqual(parseUri(URI).account, 'alice');
});

test('random text into every parser only ever gives TwostepErrors', () => {
  const alphabet = 'otpauth:/?&=%#totphotpsecretissuerJBSWY3DP\u00e9\u0000 :1234567890abc';
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let s = i % 2 ? 'otpauth://' : '';
    const len = rand(60);
    for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
    const fns = [() => parseUri(s), () => Totp.fromUri(s), () => new Totp({ secret: s }), () => lib.importMigration(s)];
    for (const fn of fns) {
      try {
        const r = fn();
        if (r && typeof r.free === 'function') r.free();
      } catch (e) {
        assert.equal(e.name, 'TwostepError', `${JSON.stringify(s)}: ${e}`);
        assert.equal(typeof e.code, 'string');
      }
    }
  }
});
