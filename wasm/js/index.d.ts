/**
 * twostep-wasm: TOTP/HOTP codes (RFC 4226/6238), `otpauth://` key URIs and QR codes, compiled from the
 * Rust crate `twostep` to WebAssembly.
 *
 * In browsers, call the default export once before anything else:
 *
 * ```ts
 * import init, { Totp, parseUri } from "twostep-wasm";
 * await init();
 * const totp = Totp.fromUri(uri);
 * totp.code(); // "123456"
 * ```
 *
 * In Node the module is ready on import; `await init()` is accepted there too, so the same
 * code runs everywhere.
 *
 * Times are unix seconds and counters are whole numbers, both as JavaScript numbers from 0
 * to `Number.MAX_SAFE_INTEGER` (never `BigInt`). Every function throws a {@link TwostepError}
 * with a stable `code` on bad input.
 *
 * @packageDocumentation
 */

/** A hash algorithm name, exactly as in key URIs. */
export type Algorithm = "SHA1" | "SHA256" | "SHA512";

/**
 * An `otpauth://` key URI as a plain object, the shape every twostep binding uses.
 * `secret` is base32, upper case, without padding. `period` is present for TOTP, `counter`
 * for HOTP. `params` holds the parameters twostep does not interpret (such as `image`), as
 * `[name, value]` pairs in their order.
 */
export interface KeyUri {
    type: "totp" | "hotp";
    secret: string;
    issuer?: string;
    account: string;
    algorithm: Algorithm;
    digits: number;
    period?: number;
    counter?: number;
    params?: [string, string][];
}

/** What {@link buildUri} takes: a {@link KeyUri} whose `algorithm` (SHA1) and `digits` (6) may be left out; `period` defaults to 30. */
export type KeyUriInput = Omit<KeyUri, "algorithm" | "digits"> & Partial<Pick<KeyUri, "algorithm" | "digits">>;

/** Options of `new Totp(...)`. */
export interface TotpOptions {
    /** The shared secret, base32 (case and spaces are ignored, padding optional). */
    secret: string;
    /** Default `"SHA1"`, which is what nearly every authenticator app uses. */
    algorithm?: Algorithm;
    /** Code length, 6 (default) to 10. */
    digits?: number;
    /** Time step in seconds, default 30. */
    period?: number;
}

/** Options of {@link Totp.verify}. */
export interface VerifyOptions {
    /** Unix seconds; default now. */
    time?: number;
    /** Steps accepted before and after the current one, 0 to 255; default 1 (±30 s). */
    window?: number;
}

/** Options of {@link hotp}. */
export interface HotpOptions {
    /** Default `"SHA1"`. */
    algorithm?: Algorithm;
    /** Code length, 6 (default) to 10. */
    digits?: number;
}

/** How `qrSvg`, `qrPng` and `qrDataUrl` draw the code. */
export interface QrOptions {
    /** Error correction level: `"L"` (7%), `"M"` (15%, default), `"Q"` (25%) or `"H"` (30%). */
    ec?: "L" | "M" | "Q" | "H";
    /** Light border in modules, default 4 (what scanners expect). */
    quietZone?: number;
    /** Colour of dark modules, CSS hex (`#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`); default black. */
    dark?: string;
    /** Colour of light modules and the border; default white; fully transparent draws no background. */
    light?: string;
    /** PNG pixels per module, 1 to 64 (default 8); SVG scales freely. */
    scale?: number;
}

/**
 * The error every function of this package throws: `name` is `"TwostepError"`, `code` is
 * stable and shared by every twostep binding: `invalid_base32`, `invalid_secret_length`,
 * `unsupported_algorithm`, `invalid_digits`, `invalid_period`, `invalid_uri`,
 * `unsupported_type`, `invalid_account`, `invalid_issuer`, `missing_secret`,
 * `missing_counter`, `invalid_counter`, `issuer_mismatch`, `data_too_long`, `invalid_ec_level`,
 * `invalid_color`, `invalid_scale`, `invalid_migration`, `unexportable`; `invalid_argument` for a value
 * of the wrong JavaScript type or out of range (a fractional, negative or unsafe-integer
 * time, an options field of the wrong type); `random_unavailable` if
 * `crypto.getRandomValues` is missing. The `message` is for people and may change.
 */
export interface TwostepError extends Error {
    name: "TwostepError";
    code: string;
}

/** True if `value` is a {@link TwostepError} thrown by this package. */
export function isTwostepError(value: unknown): value is TwostepError;

/**
 * A new random secret of `bytes` bytes (default 20 = 160 bits, at least 16, at most 256)
 * as base32 text, from `crypto.getRandomValues`.
 */
export function generateSecret(bytes?: number): string;

/**
 * A TOTP generator and verifier (RFC 6238) for one secret. Holds the secret as bytes, out of
 * sight of `console.log` and `JSON.stringify`; every call hands a copy to WebAssembly, which
 * checks it again with the options and wipes its copies before returning. Call `free()` (or
 * use `using`) to wipe the bytes when done; otherwise the garbage collector drops them.
 */
export class Totp {
    /** @throws {TwostepError} `missing_secret`, `invalid_base32`, `unsupported_algorithm`, `invalid_digits`, `invalid_period`, `invalid_argument`. */
    constructor(options: TotpOptions);
    /** The TOTP of an `otpauth://totp/…` URI. @throws {TwostepError} as {@link parseUri}, and `unsupported_type` for an HOTP URI. */
    static fromUri(uri: string): Totp;
    /** The code at `time` (unix seconds; default now). */
    code(time?: number): string;
    /**
     * Checks `code` at `time` (default now), accepting `window` steps (default 1) before or
     * after; returns the matched time step, or `null`. Each comparison is constant time. To
     * refuse a replayed code, store the returned step and accept only later ones.
     */
    verify(code: string, options?: VerifyOptions): number | null;
    /** Seconds from `time` (default now) until the code changes: 1 to `period`. */
    secondsRemaining(time?: number): number;
    /** The hash algorithm. */
    readonly algorithm: Algorithm;
    /** The code length. */
    readonly digits: number;
    /** The time step in seconds. */
    readonly period: number;
    /** Wipes the secret now; afterwards every method and getter throws `invalid_argument`. */
    free(): void;
    /** Same as `free()`, for `using totp = new Totp(...)`. */
    [Symbol.dispose](): void;
}

/** The HOTP code (RFC 4226) of base32 `secret` at `counter`. */
export function hotp(secret: string, counter: number, options?: HotpOptions): string;

/**
 * Parses an `otpauth://` key URI, strictly: type `totp` or `hotp`, an account name, a
 * base32 secret, valid algorithm/digits/period/counter, and an `issuer` parameter that
 * agrees with the label. Issuer and account keep their case.
 * @throws {TwostepError} `invalid_uri`, `unsupported_type`, `invalid_account`, `missing_secret`, `invalid_base32`, …
 */
export function parseUri(uri: string): KeyUri;

/** The canonical `otpauth://` URI of a key URI object; `parseUri(buildUri(k))` gives `k` back. */
export function buildUri(keyUri: KeyUriInput): string;

/**
 * `text` (usually a key URI from {@link buildUri}) as a QR code in SVG markup, drawn locally:
 * the secret never leaves the page. @throws {TwostepError} `data_too_long`, `invalid_color`.
 */
export function qrSvg(text: string, options?: QrOptions): string;

/** `text` as a QR code in a PNG image. @throws {TwostepError} `data_too_long`, `invalid_color`, `invalid_scale`. */
export function qrPng(text: string, options?: QrOptions): Uint8Array;

/** `text` as a QR code in a `data:image/svg+xml;base64,…` URL, for an `<img src>`. */
export function qrDataUrl(text: string, options?: QrOptions): string;

/**
 * The keys of a Google Authenticator export QR code (`otpauth-migration://offline?data=…`).
 * An export of many accounts spans several QR codes: pass all their URIs as an array to get
 * every key, checked to be one complete export (`invalid_migration` if a part is missing).
 * @throws {TwostepError} `invalid_migration`, `unsupported_algorithm`, or a key's own code.
 */
export function importMigration(uri: string | string[]): KeyUri[];

/** What {@link init} accepts: where to fetch the `.wasm` file from, or its bytes. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the WebAssembly module (browsers: fetched next to the JavaScript file by default).
 * Call once and await it before using anything else; later calls do nothing. In Node it
 * resolves at once.
 */
export default function init(
    module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<unknown>;

/** Like {@link init}, synchronously, from the module's bytes or a compiled module. */
export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): unknown;
