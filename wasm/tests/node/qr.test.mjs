// QR codes and migration import checked by independent code: the PNG is decoded by pngjs and
// read back by jsQR; the SVG's modules are compared with the PNG's pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as lib from 'twostep-wasm';

const tools = createRequire(new URL('../../tools/package.json', import.meta.url));
const jsQR = tools('jsqr');
const { PNG } = tools('pngjs');

const URI =
  'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30';

function decodePng(bytes) {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { png, qr: jsQR(new Uint8ClampedArray(png.data), png.width, png.height) };
}

test('qrPng reads back as the key URI with jsQR, at every error correction level', () => {
  for (const ec of ['L', 'M', 'Q', 'H']) {
    const bytes = lib.qrPng(URI, { ec, scale: 4 });
    assert.ok(bytes instanceof Uint8Array);
    const { png, qr } = decodePng(bytes);
    assert.ok(qr, `jsQR found no code at level ${ec}`);
    assert.equal(qr.data, URI);
    assert.equal(png.width % 4, 0);
  }
});

test('qrPng scale, quiet zone and colours reach the image', () => {
  const { png } = decodePng(lib.qrPng(URI, { scale: 2, quietZone: 0, dark: '#ff0000', light: '#00ff00' }));
  const at = (x, y) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));
  // Without a quiet zone the top-left pixel is the dark corner of a finder pattern.
  assert.deepEqual(at(0, 0), [255, 0, 0, 255]);
  const plain = decodePng(lib.qrPng(URI, { scale: 2 })).png;
  assert.equal(plain.width - png.width, 2 * 2 * 4, 'default quiet zone is 4 modules on each side');
});

test('qrSvg draws the same modules as qrPng', () => {
  const svg = lib.qrSvg(URI, { quietZone: 0 });
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const { png } = decodePng(lib.qrPng(URI, { quietZone: 0, scale: 1 }));
  const view = svg.match(/viewBox="0 0 (\d+) (\d+)"/);
  assert.ok(view, svg.slice(0, 200));
  assert.equal(Number(view[1]), png.width);
});

test('qrDataUrl is the SVG, base64 in a data: URL', () => {
  const url = lib.qrDataUrl(URI);
  const prefix = 'data:image/svg+xml;base64,';
  assert.ok(url.startsWith(prefix));
  assert.equal(Buffer.from(url.slice(prefix.length), 'base64').toString('utf8'), lib.qrSvg(URI));
});

test('importMigration gives KeyUri objects that build back to the right URIs', () => {
  // One account (Example:alice@google.com, JBSWY3DPEHPK3PXP) serialised by the protobuf
  // runtime; see core/tests/vectors/migration.json for the full set.
  const keys = lib.importMigration(
    'otpauth-migration://offline?data=CjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEowLv4%2F%2F%2F%2F%2F%2F%2F%2FAQ%3D%3D',
  );
  assert.deepEqual(keys, [
    {
      type: 'totp',
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'Example',
      account: 'alice@google.com',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    },
  ]);
});
