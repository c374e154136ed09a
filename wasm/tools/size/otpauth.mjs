// What a user of otpauth ships for the totp build's functions: secrets, TOTP/HOTP codes and
// verification, key URI parsing and building.
export { HOTP, Secret, TOTP, URI } from 'otpauth';
