// End-to-end test of examples/spa in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), against a real twostep-server behind the demo backend.
//
//   node e2e/run.mjs TOOLS_DIR SPA_URL ARTIFACTS_DIR
//
// TOOLS_DIR holds playwright-core, jsqr and pngjs (wasm/tools). The truth it checks against
// is independent of twostep: the QR code is read back from a screenshot by jsQR, and codes
// come from e2e/totp.py (Python's hmac). Screenshots go to ARTIFACTS_DIR.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey, verify as verifySignature } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const [tools, spaUrl, artifacts] = process.argv.slice(2);
if (!tools || !spaUrl || !artifacts) {
  console.error("usage: node e2e/run.mjs TOOLS_DIR SPA_URL ARTIFACTS_DIR");
  process.exit(2);
}
const require = createRequire(join(tools, "package.json"));
const { chromium } = require("playwright-core");
const jsQR = require("jsqr");
const { PNG } = require("pngjs");

const origin = new URL(spaUrl).origin;
const totpScript = fileURLToPath(new URL("./totp.py", import.meta.url));
mkdirSync(artifacts, { recursive: true });

let checks = 0;
function ok(what) {
  checks += 1;
  console.log(`  ok ${checks} ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Math.floor(Date.now() / 1000);

/** The TOTP of `uri` at `time`, from the independent Python implementation. */
function pythonTotp(uri, time) {
  return execFileSync("python3", [totpScript, uri, String(time)], { encoding: "utf8" }).trim();
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
});
const screenshots = [];
async function screenshot(page, name, target) {
  const path = join(artifacts, `${name}.png`);
  const png = await (target ?? page).screenshot({ path, ...(target ? {} : { fullPage: true }) });
  screenshots.push(path);
  return png;
}

const foreign = [];
const withCredentials = [];
const sent = [];
const pageErrors = [];
let failed = false;
let pairedSecret = "never set";
const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
page.on("request", (r) => {
  const url = r.url();
  if (!url.startsWith(origin + "/") && !url.startsWith("data:")) foreign.push(url);
  if (r.headers().authorization !== undefined) withCredentials.push(url);
  sent.push(`${url} ${r.postData() ?? ""}`);
});
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("console", (m) => {
  // Chromium logs every 4xx answer as a console error; the test provokes some on purpose.
  if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
});

const activeId = () => page.evaluate(() => document.activeElement?.id ?? "");
async function focusIs(id, what) {
  await page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 15_000 });
  ok(`${what}: focus on #${id}`);
}
async function tabTo(id) {
  await page.keyboard.press("Tab");
  assert.equal(await activeId(), id, `Tab should reach #${id}`);
  ok(`Tab reaches #${id}`);
}
const text = (selector) => page.locator(selector).innerText();

try {
  console.log(`SPA at ${spaUrl} (Chromium ${browser.version()})`);
  await page.goto(spaUrl);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  ok("page loaded, twostep-wasm initialised");

  // ---- markup: every control has a label, results are announced ----
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((e) => e.labels.length === 0 && !e.getAttribute("aria-label"))
      .map((e) => e.id || e.name),
  );
  assert.deepEqual(unlabelled, [], "controls without a label");
  const nameless = await page.evaluate(() =>
    [...document.querySelectorAll("button")]
      .filter((b) => !(b.getAttribute("aria-label") || b.textContent.trim()))
      .map((b) => b.id),
  );
  assert.deepEqual(nameless, [], "buttons without a name");
  assert.equal(await page.getAttribute("#status", "aria-live"), "polite");
  assert.equal(await page.getAttribute("#error", "role"), "alert");
  ok("every control has a label or name; status and error regions are live");

  // ---- choose a user, keyboard only ----
  const users = await page.$$eval("#user-select option", (os) => os.map((o) => o.value));
  assert.ok(users.length >= 2, "at least two demo users");
  const user = users[1];
  await tabTo("skip-link");
  await tabTo("user-select");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.inputValue("#user-select"), user, "ArrowDown picks the second user");
  await tabTo("user-submit");
  await page.keyboard.press("Enter");
  await focusIs("devices-heading", "user chosen");
  assert.match(await text("#mfa-status"), /Two-factor login is OFF/);
  assert.match(await text("#status"), new RegExp(`as ${user}`));
  ok(`acting as ${user}; MFA off, said in words`);

  // ---- pairing, keyboard only; the URI from the server's answer ----
  await tabTo("device-name");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("E2E phone");
  await tabTo("pair-start");
  const created = page.waitForResponse(
    (r) => r.request().method() === "POST" && new URL(r.url()).pathname === `/v1/users/${user}/devices`,
  );
  await page.keyboard.press("Enter");
  const createdResponse = await created;
  assert.equal(createdResponse.status(), 201);
  assert.equal(new URL(createdResponse.url()).search, "", "pairing is requested without ?qr=");
  assert.equal(createdResponse.headers()["cache-control"], "no-store", "the secret's answer is not cached");
  const pairing = await createdResponse.json();
  assert.equal(pairing.qr_svg, undefined, "the server sent no QR code");
  const uri = pairing.otpauth_uri;
  assert.match(uri, /^otpauth:\/\/totp\//);
  ok(`server answered 201 with the key URI (no ?qr=): ${uri.replace(/secret=[A-Z2-7]+/, "secret=…")}`);
  await focusIs("pair-heading", "pairing started");

  // The QR code drawn by the page, read back from a screenshot by jsQR.
  const qrPng = await screenshot(page, "qr", page.locator("#qr"));
  const image = PNG.sync.read(qrPng);
  const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  assert.ok(decoded, "jsQR finds a QR code in the screenshot");
  assert.equal(decoded.data, uri, "the QR code holds exactly the server's otpauth URI");
  ok(`QR screenshot (${image.width}x${image.height}) decodes by jsQR to the server's URI`);

  const secret = new URL(decoded.data).searchParams.get("secret");
  pairedSecret = secret;
  const shown = await text("#secret");
  assert.equal(shown.replace(/ /g, ""), secret, "the typed-in form is the secret");
  assert.ok(shown.split(" ").every((g) => g.length <= 4) && shown.split(" ").length > 1, "grouped by four");
  ok(`secret shown grouped for typing: ${shown.replace(/[A-Z2-7]/g, "X")}`);

  const left = Number(await text("#countdown-seconds"));
  const expected = 30 - (now() % 30);
  assert.ok(left >= 1 && left <= 30, `countdown ${left} in 1..30`);
  assert.ok(Math.abs(left - expected) <= 1 || Math.abs(left - expected) >= 29, `countdown ${left} vs ${expected}`);
  await sleep(1100);
  const later = Number(await text("#countdown-seconds"));
  assert.ok(later === left - 1 || later === left - 2 || later >= 29, `countdown ticks: ${left} then ${later}`);
  ok(`countdown of the current step: ${left} s, then ${later} s`);

  // The code from the decoded URI (Python), typed by keyboard.
  if (30 - (now() % 30) < 3) await sleep((30 - (now() % 30) + 1) * 1000);
  const confirmTime = now();
  const confirmCode = pythonTotp(decoded.data, confirmTime);
  await tabTo("confirm-code");
  await page.keyboard.type(confirmCode);
  const confirmed = page.waitForResponse((r) => r.url().endsWith("/confirm"));
  await page.keyboard.press("Enter");
  const confirmedResponse = await confirmed;
  assert.equal(confirmedResponse.status(), 200, "confirm accepted the Python code");
  const backupCodes = (await confirmedResponse.json()).backup_codes;
  await focusIs("backup-heading", "paired");
  ok(`confirmed with ${confirmCode.replace(/./g, "#")} from Python's hmac; backup codes section shown`);
  assert.equal(await page.locator("#pair-section").isHidden(), true);
  assert.equal(await page.locator("#qr svg").count(), 0, "the QR code is gone after pairing");

  const listed = await page.$$eval("#backup-codes li", (li) => li.map((l) => l.textContent.trim()));
  assert.equal(listed.length, 10);
  assert.deepEqual(listed, backupCodes, "the page lists the codes the server issued");
  for (const c of listed) assert.match(c, /^[23456789abcdefghjkmnpqrstuvwxyz]{4}(-[23456789abcdefghjkmnpqrstuvwxyz]{4}){5}$/);
  assert.equal(new Set(listed).size, 10);
  assert.match(await text("#mfa-status"), /ON .*1 active authenticator.*10 backup code/);
  await screenshot(page, "paired");
  ok("10 distinct backup codes shown once; MFA on");
  const activity = async () =>
    page.$$eval("#activity li", (li) => li.map((l) => ({ kind: l.dataset.kind, agent: l.title })));
  const paired = await activity();
  const browserAgent = await page.evaluate(() => navigator.userAgent);
  for (const kind of ["device_created", "device_confirmed"]) {
    const event = paired.find((e) => e.kind === kind);
    assert.ok(event, `activity lists ${kind}`);
    assert.equal(event.agent, browserAgent, `${kind} records the browser's user agent`);
  }
  ok("recent activity (audit log): pairing events with this browser's user agent, forwarded by the demo backend");

  await tabTo("backup-done");
  await page.keyboard.press("Enter");
  await focusIs("login-heading", "backup codes saved");
  assert.equal(await page.locator("#backup-codes li").count(), 0, "backup codes removed from the page");
  ok("backup codes no longer in the page");

  // ---- a second, pending device; removed by keyboard ----
  await page.fill("#device-name", "Tablet");
  await page.click("#pair-start");
  await focusIs("pair-heading", "second pairing started");
  const rows = await page.$$eval("#device-list li", (li) => li.map((l) => l.textContent));
  assert.equal(rows.length, 2);
  assert.match(rows.find((r) => r.startsWith("E2E phone")) ?? "", /Active/);
  assert.match(rows.find((r) => r.startsWith("Tablet")) ?? "", /Pending/);
  ok("device list: E2E phone Active, Tablet Pending (in words)");
  await page.focus("#devices-heading");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.match((await page.evaluate(() => document.activeElement.getAttribute("aria-label"))) ?? "", /^Remove Tablet/);
  const removed = page.waitForResponse((r) => r.request().method() === "DELETE");
  await page.keyboard.press("Enter");
  assert.equal((await removed).status(), 204);
  await focusIs("devices-heading", "pending device removed");
  assert.deepEqual(
    await page.$$eval("#device-list li", (li) => li.map((l) => l.textContent.split(":")[0])),
    ["E2E phone"],
  );
  assert.equal(await page.locator("#pair-section").isHidden(), true, "its pairing panel closed");
  assert.match(await text("#status"), /Removed Tablet/);
  ok("Tab reaches the Remove buttons; Enter removed the pending Tablet");

  // ---- login challenge with the code of a later time step (each code works once) ----
  const wait = (Math.floor(confirmTime / 30) + 1) * 30 - now();
  if (wait > 0) {
    console.log(`  (waiting ${wait} s for the next time step)`);
    await sleep(wait * 1000 + 200);
  }
  await page.focus("#login-heading");
  await tabTo("login-start");
  const challengeCreated = page.waitForResponse(
    (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/v1/challenges",
  );
  await page.keyboard.press("Enter");
  const createdChallenge = await challengeCreated;
  assert.equal(createdChallenge.status(), 201);
  const challenge = await createdChallenge.json();
  assert.deepEqual([...challenge.methods].sort(), ["backup_code", "totp"]);
  await focusIs("login-code", "challenge started");
  const loginTime = now();
  await page.keyboard.type(pythonTotp(decoded.data, loginTime));
  const otpVerified = page.waitForResponse((r) => r.url().endsWith(`/v1/challenges/${challenge.challenge_id}/verify`));
  await page.keyboard.press("Enter");
  const otpResponse = await otpVerified;
  assert.equal(otpResponse.status(), 200, "the challenge accepts the next step's code");
  const otp = await otpResponse.json();
  await focusIs("login-result-heading", "challenge passed with a code");
  const claim = (name) => text(`#claims dd[data-claim="${name}"]`);
  assert.equal(await claim("sub"), user);
  assert.equal(await claim("amr"), "otp");
  assert.equal(await claim("challenge_id"), challenge.challenge_id);
  assert.equal(await claim("iss"), "twostep");
  assert.match(await text("#trusted-result"), /Trusted device: no/);
  assert.ok(otp.trusted_device == null, "no trusted device without remember_device");
  const jwks = await (await fetch(new URL("/v1/jwks.json", origin))).json();
  const checkAssertion = (jwt) => {
    const [head, body, signature] = jwt.split(".");
    const header = JSON.parse(Buffer.from(head, "base64url").toString());
    assert.equal(header.alg, "EdDSA");
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `the assertion's kid ${header.kid} is in /v1/jwks.json`);
    const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" });
    assert.ok(
      verifySignature(null, Buffer.from(`${head}.${body}`), key, Buffer.from(signature, "base64url")),
      "Ed25519 signature valid under the published key",
    );
    const claims = JSON.parse(Buffer.from(body, "base64url").toString());
    assert.ok(Math.abs(claims.auth_time - now()) < 120, "auth_time is now");
    assert.ok(claims.exp > now(), "not expired");
    return claims;
  };
  const otpClaims = checkAssertion(otp.assertion);
  assert.deepEqual(otpClaims.amr, ["otp"]);
  await screenshot(page, "login-code");
  ok(`challenge passed by keyboard with the next step's code; claims shown (sub ${user}, amr otp); signature checked by node:crypto against /v1/jwks.json`);

  // ---- a wrong code is refused and said so; then a backup code with "remember this browser" ----
  await page.click("#login-start");
  await focusIs("login-code", "second challenge started");
  const correct = pythonTotp(decoded.data, now());
  const wrong = String((Number(correct) + 500000) % 1000000).padStart(6, "0");
  await page.keyboard.type(wrong);
  const refused = page.waitForResponse((r) => r.url().endsWith("/verify"));
  await page.keyboard.press("Enter");
  assert.equal((await refused).status(), 422);
  await page.waitForFunction(() => document.getElementById("error").textContent.includes("not accepted"));
  assert.match(await text("#error"), /^Error: /);
  assert.equal(await activeId(), "login-code", "focus back on the code input");
  ok("a wrong code: 422, announced in the alert region in words, focus back on the input");

  // Keyboard only: back to the method radios, arrow to "Backup code", the code, the checkbox.
  await page.keyboard.press("Shift+Tab");
  assert.equal(await activeId(), "method-code");
  await page.keyboard.press("ArrowDown");
  assert.equal(await activeId(), "method-backup");
  assert.equal(await page.isChecked("#method-backup"), true);
  assert.equal(await text("#login-code-label"), "Backup code");
  await tabTo("login-code");
  await page.keyboard.press("Control+A");
  // Typed the way people copy them: upper case, spaces for dashes (the server normalises).
  await page.keyboard.type(backupCodes[0].toUpperCase().replace(/-/g, " "));
  await tabTo("remember");
  await page.keyboard.press("Space");
  assert.equal(await page.isChecked("#remember"), true);
  await tabTo("login-submit");
  const backupVerified = page.waitForResponse((r) => r.url().endsWith("/verify"));
  await page.keyboard.press("Enter");
  const backupResponse = await backupVerified;
  assert.equal(backupResponse.status(), 200, "the same challenge accepts a backup code after one failure");
  const backup = await backupResponse.json();
  await focusIs("login-result-heading", "challenge passed with a backup code");
  assert.equal(await claim("amr"), "backup_code");
  assert.deepEqual(checkAssertion(backup.assertion).amr, ["backup_code"]);
  assert.ok(backup.trusted_device?.token, "a trusted-device token");
  assert.match(await text("#trusted-result"), /Trusted device: yes/);
  assert.match(await text("#trusted-status"), /is remembered for/);
  assert.match(await text("#mfa-status"), /9 backup code/);
  await screenshot(page, "login-backup-remembered");
  ok("backup code + remember, by keyboard: amr backup_code, trusted device yes, 9 backup codes left");

  // ---- the next login trusts this browser; then forget it ----
  const checked = page.waitForResponse((r) => r.url().endsWith("/v1/trusted-devices/check"));
  let challenged = false;
  const onChallenge = (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/v1/challenges") challenged = true;
  };
  page.on("request", onChallenge);
  await page.click("#login-start");
  const trusted = await (await checked).json();
  assert.equal(trusted.trusted, true);
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("without a second factor"));
  assert.equal(challenged, false, "no challenge for a remembered browser");
  page.off("request", onChallenge);
  ok("next login: trusted-device check says trusted, no challenge asked");

  const revoked = page.waitForResponse((r) => r.request().method() === "DELETE");
  await page.click("#forget-device");
  assert.equal((await revoked).status(), 204);
  await focusIs("login-start", "browser forgotten");
  assert.match(await text("#trusted-status"), /not remembered/);
  const recheck = await (
    await fetch(new URL("/v1/trusted-devices/check", origin), {
      method: "POST",
      headers: { "X-Demo-User": user, "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: user, token: backup.trusted_device.token }),
    })
  ).json();
  assert.equal(recheck.trusted, false, "the revoked token is no longer trusted");
  ok("forget this browser: revoked on the server, the token no longer trusted");

  // ---- remove the last authenticator, keyboard only: MFA off ----
  await page.focus("#devices-heading");
  await page.keyboard.press("Tab");
  assert.match((await page.evaluate(() => document.activeElement.getAttribute("aria-label"))) ?? "", /^Remove E2E phone/);
  const lastRemoved = page.waitForResponse((r) => r.request().method() === "DELETE");
  await page.keyboard.press("Enter");
  assert.equal((await lastRemoved).status(), 204);
  await focusIs("devices-heading", "last device removed");
  assert.match(await text("#mfa-status"), /Two-factor login is OFF/);
  assert.equal(await page.locator("#login-section").isHidden(), true);
  const kinds = (await activity()).map((e) => e.kind);
  for (const kind of ["device_removed", "trusted_device_revoked", "trusted_device_created", "challenge_verified"]) {
    assert.ok(kinds.includes(kind), `activity lists ${kind} (has ${kinds.join(", ")})`);
  }
  await screenshot(page, "removed");

  // ---- the demo backend acts for the named demo user only ----
  const asUser = (path, init = {}) =>
    fetch(new URL(path, origin), { ...init, headers: { "X-Demo-User": user, ...(init.headers ?? {}) } });
  assert.equal((await asUser(`/v1/users/${users[0]}/mfa`)).status, 403, "another user's path");
  assert.equal(
    (
      await asUser("/v1/challenges", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: users[0] }),
      })
    ).status,
    403,
    "a challenge for another user",
  );
  assert.equal((await fetch(new URL(`/v1/users/${user}/mfa`, origin))).status, 403, "no demo user named");
  assert.equal((await asUser(`/v1/users/${user}/mfa`)).status, 200);
  ok("the demo backend refuses other users' paths and bodies and requests without a demo user");
  ok("last authenticator removed by keyboard: MFA off, login section gone");
} catch (e) {
  failed = true;
  console.error(`FAIL ${e?.stack ?? e}`);
  await screenshot(page, "failure").catch(() => {});
} finally {
  await browser.close();
}
if (!failed) {
  try {
    assert.deepEqual(foreign, [], "requests to other origins than the SPA's");
    ok("no request left the SPA's origin");
    assert.deepEqual(withCredentials, [], "requests from the page with an Authorization header");
    ok("the page sent no credential (the demo backend adds the user token)");
    assert.deepEqual(sent.filter((r) => r.includes(pairedSecret)), [], "requests carrying the secret");
    ok("the page never sent the secret back out");
    assert.deepEqual(pageErrors, [], "errors in the page");
    ok("no script errors in the page");
  } catch (e) {
    failed = true;
    console.error(`FAIL ${e?.message ?? e}`);
  }
}
for (const path of screenshots) console.log(`screenshot: ${path}`);
console.log(`spa e2e: ${checks} checks passed${failed ? ", FAILED" : ""}`);
process.exit(failed ? 1 : 0);
