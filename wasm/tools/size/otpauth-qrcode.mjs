// otpauth and qrcode together: what the full build replaces.
export { HOTP, Secret, TOTP, URI } from 'otpauth';
export { toString, toDataURL } from './qrcode.mjs';
