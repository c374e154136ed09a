// The shared test vectors of core (core/tests/vectors/otp.json, uri.json, migration.json) as a list of
// named checks against the twostep-wasm package. The same list runs in Node (node --test)
// and in headless Chromium, so both count the same cases as the Rust tests.

/** Throws unless `actual` and `expected` are the same JSON value. */
function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, want ${e}`);
}

/** Sorted keys, absent/null optional fields dropped, params as an object. */
function normalise(keyUri) {
  const out = {};
  for (const k of Object.keys(keyUri).sort()) {
    let v = keyUri[k];
    if (k === 'params' && Array.isArray(v)) v = Object.fromEntries(v);
    if (k === 'params' && v && Object.keys(v).length === 0) v = undefined;
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/** One check per case of otp.json: the code, and verify() finding its step. */
export function otpChecks(lib, otp) {
  return otp.cases.map((c, i) => ({
    name: `otp.json #${i} ${c.name ?? ''} ${c.type} ${c.algorithm}`.trim(),
    run() {
      if (c.type === 'hotp') {
        same(lib.hotp(c.secret_base32, c.counter, { algorithm: c.algorithm, digits: c.digits }), c.code, 'hotp');
        return;
      }
      const totp = new lib.Totp({
        secret: c.secret_base32,
        algorithm: c.algorithm,
        digits: c.digits,
        period: c.period ?? 30,
      });
      try {
        same(totp.code(c.time), c.code, 'totp.code');
        const step = c.step ?? Math.floor(c.time / (c.period ?? 30));
        same(totp.verify(c.code, { time: c.time, window: 0 }), step, 'totp.verify');
      } finally {
        totp.free();
      }
    },
  }));
}

/** One check per case of uri.json: the parsed object, the canonical rebuild, or the error code. */
export function uriChecks(lib, uri) {
  return uri.cases.map((c, i) => ({
    name: `uri.json #${i} ${c.name ?? c.uri}`,
    run() {
      if (c.error !== undefined) {
        const e = thrownBy(() => lib.parseUri(c.uri));
        if (!e) throw new Error(`parseUri accepted ${c.uri}, want error ${c.error}`);
        same([e.name, e.code], ['TwostepError', c.error], 'error');
        return;
      }
      const want = c.ok ?? c.parsed;
      if (want?.counter > Number.MAX_SAFE_INTEGER) {
        // Counters cross as JavaScript numbers; one above 2^53 - 1 is refused, not rounded.
        const e = thrownBy(() => lib.parseUri(c.uri));
        same([e?.name, e?.code], ['TwostepError', 'invalid_argument'], 'counter above 2^53');
        return;
      }
      const parsed = lib.parseUri(c.uri);
      if (want !== undefined) same(normalise(parsed), normalise(want), 'parseUri');
      if (c.canonical !== undefined) {
        same(lib.buildUri(parsed), c.canonical, 'buildUri');
        same(normalise(lib.parseUri(c.canonical)), normalise(parsed), 'canonical round trip');
      }
    },
  }));
}

function thrownBy(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** migration.json: each export's keys (as canonical URIs), the parts of a multi-part export, the errors. */
export function migrationChecks(lib, migration) {
  const uris = (uri) => lib.importMigration(uri).map((k) => lib.buildUri(k));
  // Counters cross as JavaScript numbers: an export holding an HOTP key whose counter is
  // above 2^53 - 1 is refused with invalid_argument rather than rounded.
  const unsafe = (keys) =>
    keys.some((u) => {
      const m = /[?&]counter=(\d+)/.exec(u);
      return m !== null && BigInt(m[1]) > BigInt(Number.MAX_SAFE_INTEGER);
    });
  const importsAs = (uri, keys) => {
    if (unsafe(keys)) {
      const e = thrownBy(() => lib.importMigration(uri));
      same([e?.name, e?.code], ['TwostepError', 'invalid_argument'], 'counter above 2^53');
      return [];
    }
    const got = uris(uri);
    same(got, keys, 'importMigration');
    return got;
  };
  return [
    ...migration.single.map((c, i) => ({
      name: `migration.json single #${i}`,
      run: () => importsAs(c.uri, c.keys),
    })),
    {
      name: 'migration.json multi-part export, part by part',
      run() {
        const safe = migration.multi.keys.filter((k) => !unsafe([k]));
        const got = migration.multi.uris.flatMap((uri) => {
          const e = thrownBy(() => lib.importMigration(uri));
          return e?.code === 'invalid_argument' ? [] : uris(uri);
        });
        same(got, safe, 'importMigration of every part');
      },
    },
    {
      name: 'migration.json multi-part export, all parts at once',
      run: () => importsAs(migration.multi.uris, migration.multi.keys),
    },
    ...migration.incomplete.map((uris, i) => ({
      name: `migration.json incomplete export #${i}`,
      run() {
        const e = thrownBy(() => lib.importMigration(uris));
        same([e?.name, e?.code], ['TwostepError', 'invalid_migration'], 'error');
      },
    })),
    {
      name: 'migration.json: no parts at all is an incomplete export',
      run() {
        const e = thrownBy(() => lib.importMigration([]));
        same([e?.name, e?.code], ['TwostepError', 'invalid_migration'], 'error');
      },
    },
    ...migration.errors.map((c, i) => ({
      name: `migration.json error #${i} ${c.error}`,
      run() {
        const e = thrownBy(() => lib.importMigration(c.uri));
        same([e?.name, e?.code], ['TwostepError', c.error], 'error');
      },
    })),
  ];
}
