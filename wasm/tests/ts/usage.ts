// Type-checked with `tsc --noEmit` against the packed package: the hand-written index.d.ts
// must describe the API a TypeScript user writes. (That the JavaScript API has exactly the
// functions and classes it declares is checked at run time by node/api.test.mjs.)
import init, {
  Totp,
  buildUri,
  generateSecret,
  hotp,
  isTwostepError,
  parseUri,
  qrDataUrl,
  qrPng,
  qrSvg,
  importMigration,
  type KeyUri,
  type TwostepError,
} from 'twostep-wasm';

export async function usage(uri: string): Promise<string> {
  await init();
  const secret: string = generateSecret();
  generateSecret(32);
  const totp = new Totp({ secret, algorithm: 'SHA256', digits: 8, period: 60 });
  const code: string = totp.code();
  totp.code(1_700_000_000);
  const step: number | null = totp.verify(code, { window: 1, time: 1_700_000_000 });
  totp.verify(code);
  const left: number = totp.secondsRemaining();
  const alg: 'SHA1' | 'SHA256' | 'SHA512' = totp.algorithm;
  totp.free();
  const parsed: KeyUri = parseUri(uri);
  const again: string = buildUri({ type: 'totp', secret, account: 'alice', issuer: 'Example' });
  const h: string = hotp(secret, 0, { digits: 6 });
  const svg: string = qrSvg(again, { ec: 'Q', dark: '#112233' });
  const png: Uint8Array = qrPng(again, { scale: 4 });
  const img: string = qrDataUrl(again);
  const imported: KeyUri[] = importMigration('otpauth-migration://offline?data=');
  // @ts-expect-error ec levels are L, M, Q, H
  qrSvg(again, { ec: 'X' });
  try {
    Totp.fromUri(uri);
  } catch (e) {
    if (isTwostepError(e)) {
      const err: TwostepError = e;
      return err.code;
    }
  }
  // @ts-expect-error the secret is required
  new Totp({});
  // @ts-expect-error times are numbers, not BigInt
  totp.code(1n);
  // @ts-expect-error unknown algorithm names are not an Algorithm
  new Totp({ secret, algorithm: 'MD5' });
  return `${step} ${left} ${alg} ${parsed.account} ${again} ${h} ${svg} ${png.length} ${img} ${imported.length}`;
}
