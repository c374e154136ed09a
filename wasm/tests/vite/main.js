// A fresh Vite app using the packed package the way its README says; the checks use values
// from RFC 6238 Appendix B and the Key Uri Format, not from twostep.
import init, { Totp, parseUri, buildUri, generateSecret, hotp, isTwostepError } from 'twostep-wasm';

async function main() {
  await init();
  const rfc = new Totp({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', digits: 8 });
  const checks = {
    'RFC 6238 SHA1 at 59': rfc.code(59) === '94287082',
    'RFC 6238 SHA1 at 1111111109': rfc.code(1111111109) === '07081804',
    'verify finds the step': rfc.verify('94287082', { time: 59, window: 0 }) === 1,
    'RFC 4226 count 9': hotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 9) === '520489',
    'parseUri': parseUri('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example').issuer === 'Example',
    'buildUri': buildUri({ type: 'totp', secret: 'JBSWY3DPEHPK3PXP', account: 'alice' }) ===
      'otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    'generateSecret': /^[A-Z2-7]{32}$/.test(generateSecret()),
    'errors carry codes': (() => {
      try {
        parseUri('https://example.com');
      } catch (e) {
        return isTwostepError(e) && e.code === 'invalid_uri';
      }
      return false;
    })(),
  };
  const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name);
  return { passed: Object.keys(checks).length - failed.length, failed: failed.length, failures: failed };
}

main()
  .catch((e) => ({ passed: 0, failed: 1, failures: [String(e && e.stack ? e.stack : e)] }))
  .then((result) => {
    window.result = result;
    document.getElementById('out').textContent = JSON.stringify(result);
  });
