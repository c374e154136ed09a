// The public API of twostep-wasm (declared in index.d.ts): a thin layer over the module's
// one export, `call(op, args)`, which takes and returns bytes (wasm/src/lib.rs). It converts
// and nothing else: it checks JavaScript argument types and ranges (`invalid_argument`),
// reads the clock and `crypto.getRandomValues`, writes the arguments and reads the results
// as item lists (wasm/src/wire.rs), builds `KeyUri` objects from their fields, and turns
// the error codes the module returns into `TwostepError`s. Every rule of the protocol and
// every other error code is core's.
import { call } from './twostep_wasm.js';

const fail = (code, message) =>
  Object.assign(new Error(message || 'twostep: ' + code.replace(/_/g, ' ')), { name: 'TwostepError', code });

const argument = (message) => fail('invalid_argument', message);

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

/** `v`, which must be an object. */
const object = (v, message) => {
  if (absent(v) || typeof v != 'object') throw argument(message);
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Items as UTF-8 for the module: each `length:text`, a lone `:` when absent. */
const list = (items) => encoder.encode(items.map((v) => (absent(v) ? ':' : (v = '' + v).length + ':' + v)).join(''));

/** The items of a list the module wrote; `undefined` for absent ones. */
const items = (s) => {
  const out = [];
  for (let i = 0, j; (j = s.indexOf(':', i)) >= 0; ) {
    const n = s.slice(i, j);
    i = j + 1 + +n;
    out.push(n ? s.slice(j + 1, i) : undefined);
  }
  return out;
};

/**
 * Runs operation `op` of the module (the table in wasm/src/lib.rs) on `args`, items or
 * bytes; returns its output bytes, or throws the error code it returns. The argument bytes
 * are wiped afterwards: they may hold a secret.
 */
const run = (op, args) => {
  const bytes = args instanceof Uint8Array ? args : list(args);
  try {
    const out = call(op, bytes);
    const result = out.subarray(0, -1);
    if (out.at(-1)) throw fail(decoder.decode(result));
    return result;
  } finally {
    bytes.fill(0);
  }
};

/** `run`'s output as text. */
const text = (op, args) => decoder.decode(run(op, args));

export const isTwostepError = (value) => value instanceof Error && value.name === 'TwostepError';

export function generateSecret(bytes) {
  const random = new Uint8Array(absent(bytes) ? 20 : whole(bytes, 'bytes', 65536));
  try {
    crypto.getRandomValues(random);
  } catch {
    throw fail('random_unavailable', 'crypto.getRandomValues is not available or failed');
  }
  return text(0, random);
}

/** A `KeyUri` object from its fields as the module lists them. */
const keyUri = (f) => {
  const k = { type: f[0], secret: f[1], issuer: f[2], account: f[3], algorithm: f[4], digits: +f[5], period: f[6] && +f[6] };
  if (f[7]) k.counter = whole(+f[7], 'counter');
  if (f.length > 8) {
    k.params = [];
    for (let i = 8; i < f.length; i += 2) k.params.push([f[i], f[i + 1]]);
  }
  for (const key in k) if (k[key] === undefined) delete k[key];
  return k;
};

export const parseUri = (uri) => keyUri(items(text(1, [string(uri, 'uri')])));

export function buildUri(keyUri) {
  object(keyUri, 'keyUri must be an object');
  const fields = [
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
    const pairs = 'params must be an array of [name, value] pairs';
    if (!Array.isArray(params)) throw argument(pairs);
    for (const pair of params) {
      if (!Array.isArray(pair)) throw argument(pairs);
      fields.push(string(pair[0], 'a params name'), string(pair[1], 'a params value'));
    }
  }
  return text(2, fields);
}

/**
 * Each live `Totp`'s algorithm, digits and period, and `k`: the bytes of its canonical
 * `[algorithm, digits, period, secret]` as the module wrote them, which go in front of every
 * call's own arguments. Out of sight of `console.log` and `JSON.stringify`.
 */
const keys = new WeakMap();

const init = (t, k) => {
  const [a, d, p] = items(decoder.decode(k));
  keys.set(t, { a, d: +d, p: +p, k });
  return t;
};

const state = (t) => {
  const s = keys.get(t);
  if (!s) throw argument('this Totp has been freed');
  return s;
};

/** Operation `op` on `t`'s key followed by `args` (the joined bytes are wiped after the call). */
const keyed = (t, op, args) => {
  const { k } = state(t);
  const rest = list(args);
  const bytes = new Uint8Array(k.length + rest.length);
  bytes.set(k);
  bytes.set(rest, k.length);
  return text(op, bytes);
};

export class Totp {
  constructor(options) {
    object(options, 'new Totp() takes an options object {secret, algorithm?, digits?, period?}');
    init(
      this,
      run(3, [
        optString(options, 'algorithm'),
        optWhole(options, 'digits', U32),
        optWhole(options, 'period', U32),
        optString(options, 'secret'),
      ]),
    );
  }

  static fromUri(uri) {
    return init(Object.create(Totp.prototype), run(4, [string(uri, 'uri')]));
  }

  code(t) {
    return keyed(this, 5, [time(t)]);
  }

  verify(code, options) {
    code = string(code, 'code');
    const step = keyed(this, 6, [time(field(options, 'time')), code, optWhole(options, 'window', 255) ?? 1]);
    return step ? +step : null;
  }

  secondsRemaining(t) {
    return +keyed(this, 7, [time(t)]);
  }

  get algorithm() {
    return state(this).a;
  }

  get digits() {
    return state(this).d;
  }

  get period() {
    return state(this).p;
  }

  /** Wipes the key bytes; the object is unusable afterwards. */
  free() {
    keys.get(this)?.k.fill(0);
    keys.delete(this);
  }

  [Symbol.dispose]() {
    this.free();
  }
}

export const hotp = (secret, counter, options) =>
  text(8, [optString(options, 'algorithm'), optWhole(options, 'digits', U32), string(secret, 'secret'), whole(counter, 'counter')]);

/** `text` as a QR code: format 0 SVG, 1 PNG, 2 data: URL. */
const qr = (text, options, format) =>
  run(9, [
    string(text, 'text'),
    format,
    optString(options, 'ec'),
    optWhole(options, 'quietZone', 255),
    optString(options, 'dark'),
    optString(options, 'light'),
    optWhole(options, 'scale', 65535),
  ]);

export const qrSvg = (text, options) => decoder.decode(qr(text, options, 0));
export const qrPng = (text, options) => qr(text, options, 1).slice();
export const qrDataUrl = (text, options) => decoder.decode(qr(text, options, 2));

export const importMigration = (uri) =>
  items(
    text(10, Array.isArray(uri) ? [1, ...uri.map((u) => string(u, 'every uri'))] : [undefined, string(uri, 'uri')]),
  ).map((key) => keyUri(items(key)));
