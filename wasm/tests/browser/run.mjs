// Opens pages in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// from a tiny static server on 127.0.0.1 and prints each page's `window.result`.
//
//   node run.mjs TOOLS_DIR NAME=ROOT:PATH ...
//
// serves ROOT for each page and loads PATH from it; exits non-zero if a page fails a check.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const [tools, ...pages] = process.argv.slice(2);
const { chromium } = createRequire(join(tools, 'package.json'))('playwright-core');

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

function serve(root) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (path.includes('..')) {
      res.writeHead(400).end();
      return;
    }
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});
let failed = 0;
let passed = 0;
try {
  for (const spec of pages) {
    const [name, rest] = spec.split('=');
    const [root, path] = rest.split(':');
    const server = await serve(root);
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await page.goto(`http://127.0.0.1:${server.address().port}${path}`);
      await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
      const result = await page.evaluate(() => window.result);
      const version = browser.version();
      console.log(`${name} (Chromium ${version}): ${result.passed} passed, ${result.failed} failed`);
      for (const f of [...result.failures, ...errors]) console.log(`  FAIL ${f}`);
      passed += result.passed;
      failed += result.failed + errors.length;
    } finally {
      await page.close();
      server.close();
    }
  }
} finally {
  await browser.close();
}
console.log(`chromium: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
