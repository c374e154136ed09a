// What a user of otplib (v13) ships for the totp build's functions.
export { generateSecret, generateSync, generateURI, verifySync } from 'otplib';
export { parse as parseURI } from '@otplib/uri';
