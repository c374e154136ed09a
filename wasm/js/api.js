// The public API of twostep-wasm (declared in index.d.ts): a thin layer over the
// WebAssembly exports, which take and return only strings, numbers and byte arrays. It
// converts and nothing else: it checks JavaScript argument types and ranges
// (`invalid_argument`), reads the clock and `crypto.getRandomValues`, builds `KeyUri`
// objects from the flat field lists, and turns the error codes the module throws into
// `TwostepError`s. Every rule of the protocol and every other error code is core's.
import * as w from './twostep_wasm.js';

const fail = (code, message) =>
  Object.assign(new Error(message || 'twostep: ' + code.replace(/_/g, ' ')), { name: 'TwostepError', code });

const argument = (message) => fail('invalid_argument', message);

/** Calls into the module; an error code it throws becomes a TwostepError. */
const call = (f, ...args) => {
  try {
    return f(...args);
  } catch (e) {
    throw typeof e == 'string' ? fail(e) : e;
  }
};

const absent = (v) => v === undefined || v === null;

const string = (v, what) => {
  if (typeof v != 'string') throw argument(what + ' must be a string');
  return v;
};

/** A whole number from 0 to `max` (at most Number.MAX_SAFE_INTEGER). */
const whole = (v, what, max = Number.MAX_SAFE_INTEGER) => {
  if (!Number.isSafeInteger(v) || v < 0)
    throw argument(what + ' must be a whole number from 0 to Number.MAX_SAFE_INTEGER');
  if (v > max) throw argument(what + ' is too large');
  return v;
};

/** `obj[name]`, with a missing options object reading as all fields absent. */
const field = (obj, name) => {
  if (absent(obj)) return;
  if (typeof obj != 'object') throw argument('options must be an object');
  return obj[name];
};

/** An optional string or whole-number field; `undefined` when absent. */
const optString = (obj, name) => (absent((obj = field(obj, name))) ? undefined : string(obj, name));
const optWhole = (obj, name, max) => (absent((obj = field(obj, name))) ? undefined : whole(obj, name, max));

const U32 = 2 ** 32 - 1;

/** Unix seconds: `t` checked, or now. */
const time = (t) => (absent(t) ? Math.floor(Date.now() / 1000) : whole(t, 'time'));

export const isTwostepError = (value) => value instanceof Error && value.name === 'TwostepError';

export function generateSecret(bytes) {
  const random = new Uint8Array(absent(bytes) ? 20 : whole(bytes, 'bytes', 65536));
  try {
    crypto.getRandomValues(random);
  } catch {
    throw fail('random_unavailable', 'crypto.getRandomValues is not available or failed');
  }
  try {
    return call(w.secret, random);
  } finally {
    random.fill(0);
  }
}

/** A `KeyUri` object from the module's flat field list. */
const keyUri = (f) => {
  const k = { type: f[0], secret: f[1], issuer: f[2], account: f[3], algorithm: f[4], digits: f[5], period: f[6] };
  if (f[7] !== undefined) k.counter = whole(f[7], 'counter');
  if (f.length > 8) {
    k.params = [];
    for (let i = 8; i < f.length; i += 2) k.params.push([f[i], f[i + 1]]);
  }
  for (const key in k) if (k[key] === undefined) delete k[key];
  return k;
};

export const parseUri = (uri) => keyUri(call(w.parseUri, string(uri, 'uri')));

export function buildUri(keyUri) {
  if (absent(keyUri) || typeof keyUri != 'object') throw argument('keyUri must be an object');
  const flat = [
    string(keyUri.type, 'type'),
    string(keyUri.secret, 'secret'),
    optString(keyUri, 'issuer'),
    string(keyUri.account, 'account'),
    optString(keyUri, 'algorithm'),
    optWhole(keyUri, 'digits', U32),
    optWhole(keyUri, 'period', U32),
    optWhole(keyUri, 'counter'),
  ];
  const params = keyUri.params;
  if (!absent(params)) {
    if (!Array.isArray(params)) throw argument('params must be an array of [name, value] pairs');
    for (const pair of params) {
      if (!Array.isArray(pair)) throw argument('params must be an array of [name, value] pairs');
      flat.push(string(pair[0], 'a params name'), string(pair[1], 'a params value'));
    }
  }
  return call(w.buildUri, flat);
}

export class Totp {
  constructor(options) {
    if (absent(options) || typeof options != 'object')
      throw argument('new Totp() takes an options object {secret, algorithm?, digits?, period?}');
    if (absent(options.secret)) throw fail('missing_secret');
    this.t = call(() => new w.Otp([
      string(options.secret, 'secret'),
      optString(options, 'algorithm'),
      optWhole(options, 'digits', U32),
      optWhole(options, 'period', U32),
    ]));
  }

  static fromUri(uri) {
    const totp = Object.create(Totp.prototype);
    totp.t = call(w.Otp.fromUri, string(uri, 'uri'));
    return totp;
  }

  code(t) {
    return this.t.code(time(t));
  }

  verify(code, options) {
    const step = this.t.verify(
      string(code, 'code'),
      time(field(options, 'time')),
      optWhole(options, 'window', 255) ?? 1,
    );
    return step < 0 ? null : step;
  }

  secondsRemaining(t) {
    return this.t.left(time(t));
  }

  get algorithm() {
    return this.t.algorithm();
  }

  get digits() {
    return this.t.digits();
  }

  get period() {
    return this.t.period();
  }

  free() {
    this.t.free();
  }

  [Symbol.dispose]() {
    this.free();
  }
}

export const hotp = (secret, counter, options) =>
  call(w.hotp, whole(counter, 'counter'), [
    string(secret, 'secret'),
    optString(options, 'algorithm'),
    optWhole(options, 'digits', U32),
  ]);

/** `text` as a QR code: format 0 SVG, 1 PNG, 2 data: URL. */
const qr = (text, options, format) =>
  call(w.qr, string(text, 'text'), format, [
    optString(options, 'ec'),
    optWhole(options, 'quietZone', 255),
    optString(options, 'dark'),
    optString(options, 'light'),
    optWhole(options, 'scale', 65535),
  ]);

const utf8 = (bytes) => new TextDecoder().decode(bytes);

export const qrSvg = (text, options) => utf8(qr(text, options, 0));
export const qrPng = (text, options) => qr(text, options, 1);
export const qrDataUrl = (text, options) => utf8(qr(text, options, 2));

export const importMigration = (uri) =>
  call(
    w.importMigration,
    Array.isArray(uri) ? uri.map((u) => string(u, 'every uri')) : [string(uri, 'uri')],
    Array.isArray(uri),
  ).map(parseUri);
