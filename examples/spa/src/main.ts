// The twostep SPA demo: pair an authenticator app (QR code drawn here by twostep-wasm),
// keep the backup codes, manage devices, and pass a login challenge.
import init, { Totp, parseUri, qrSvg, isTwostepError } from "twostep-wasm";
import { api, ApiError, useDemoUser, type AuditEvent, type ChallengeVerified, type Device } from "./api";

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found as T;
}

const ui = {
  userForm: el<HTMLFormElement>("user-form"),
  userSelect: el<HTMLSelectElement>("user-select"),
  mfaStatus: el("mfa-status"),
  devicesSection: el("devices-section"),
  devicesHeading: el("devices-heading"),
  devicesEmpty: el("devices-empty"),
  deviceList: el<HTMLUListElement>("device-list"),
  pairForm: el<HTMLFormElement>("pair-form"),
  deviceName: el<HTMLInputElement>("device-name"),
  pairSection: el("pair-section"),
  pairHeading: el("pair-heading"),
  qr: el("qr"),
  pairIssuer: el("pair-issuer"),
  pairAccount: el("pair-account"),
  pairParams: el("pair-params"),
  secret: el("secret"),
  countdownSeconds: el("countdown-seconds"),
  countdownBar: el<HTMLProgressElement>("countdown-bar"),
  confirmForm: el<HTMLFormElement>("confirm-form"),
  confirmCode: el<HTMLInputElement>("confirm-code"),
  backupSection: el("backup-section"),
  backupHeading: el("backup-heading"),
  backupCodes: el<HTMLOListElement>("backup-codes"),
  backupDone: el<HTMLButtonElement>("backup-done"),
  loginSection: el("login-section"),
  loginHeading: el("login-heading"),
  trustedStatus: el("trusted-status"),
  loginStart: el<HTMLButtonElement>("login-start"),
  forgetDevice: el<HTMLButtonElement>("forget-device"),
  loginForm: el<HTMLFormElement>("login-form"),
  loginCodeLabel: el("login-code-label"),
  loginCode: el<HTMLInputElement>("login-code"),
  remember: el<HTMLInputElement>("remember"),
  loginResult: el("login-result"),
  loginResultHeading: el("login-result-heading"),
  claims: el<HTMLDListElement>("claims"),
  trustedResult: el("trusted-result"),
  activitySection: el("activity-section"),
  activity: el<HTMLOListElement>("activity"),
  status: el("status"),
  error: el("error"),
};

let currentUser = "";
let pairing: { deviceId: string; totp: Totp; timer: number } | null = null;
let challengeId: string | null = null;

function announce(message: string): void {
  ui.error.textContent = "";
  ui.status.textContent = message;
}

function fail(e: unknown, context: string): void {
  ui.status.textContent = "";
  ui.error.textContent = `Error: ${context}: ${describe(e)}`;
}

function describe(e: unknown): string {
  if (e instanceof ApiError) {
    switch (e.code) {
      case "invalid_code":
        return "the code was not accepted (wrong, already used, or too old). Try the next code.";
      case "locked":
        return `too many wrong codes; try again in ${e.retryAfter ?? "a few"} seconds.`;
      case "expired":
        return "this has expired; start again.";
      default:
        return `${e.message} (${e.code})`;
    }
  }
  if (isTwostepError(e)) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}

function show(section: HTMLElement, visible: boolean): void {
  section.hidden = !visible;
}

function focus(target: HTMLElement): void {
  target.focus();
}

function formatTime(rfc3339: string): string {
  const date = new Date(rfc3339);
  return Number.isNaN(date.getTime()) ? rfc3339 : date.toLocaleString();
}

// ---- user and devices ----------------------------------------------------------------

async function loadUsers(): Promise<void> {
  const { users } = await api.demoUsers();
  ui.userSelect.replaceChildren(
    ...users.map((u) => {
      const option = document.createElement("option");
      option.value = u;
      option.textContent = u;
      return option;
    }),
  );
}

async function refresh(): Promise<void> {
  const [status, { devices }, { events }] = await Promise.all([
    api.mfa(currentUser),
    api.devices(currentUser),
    api.events(currentUser, 10),
  ]);
  renderActivity(events);
  ui.mfaStatus.textContent = status.enabled
    ? `Two-factor login is ON for ${currentUser}: ${status.active_devices} active authenticator(s), ${status.backup_codes_remaining} backup code(s) left.`
    : `Two-factor login is OFF for ${currentUser}: pair an authenticator app to turn it on.`;
  if (status.locked_until) {
    ui.mfaStatus.textContent += ` Locked after too many wrong codes until ${formatTime(status.locked_until)}.`;
  }
  renderDevices(devices);
  show(ui.loginSection, status.enabled);
  if (status.enabled) renderTrusted();
}

const EVENT_WORDS: Record<string, string> = {
  device_created: "Pairing started",
  device_confirmed: "Authenticator paired",
  device_removed: "Authenticator removed",
  verify_succeeded: "Code accepted",
  verify_failed: "Code refused",
  locked: "Locked after too many wrong codes",
  backup_codes_generated: "Backup codes issued",
  backup_code_used: "Backup code used",
  challenge_created: "Login started",
  challenge_verified: "Login passed",
  challenge_failed: "Login code refused",
  trusted_device_created: "Browser remembered",
  trusted_device_revoked: "Browser forgotten",
  mfa_disabled: "Two-factor login turned off",
};

/** "Firefox/133.0" or "Chrome/131.0.0.0" out of a user agent string; else its start. */
function shortAgent(agent: string): string {
  const product = agent.match(/\b(Firefox|Edg|OPR|HeadlessChrome|Chrome|Version)\/[\d.]+/)?.[0];
  if (!product) return agent.length > 40 ? `${agent.slice(0, 40)}…` : agent;
  return product.startsWith("Version/") ? product.replace("Version", "Safari") : product;
}

function renderActivity(events: AuditEvent[]): void {
  show(ui.activitySection, events.length > 0);
  ui.activity.replaceChildren(
    ...events.map((e) => {
      const item = document.createElement("li");
      item.dataset.kind = e.kind;
      const browser = e.user_agent ? `, from ${shortAgent(e.user_agent)}` : "";
      item.textContent = `${formatTime(e.at)}: ${EVENT_WORDS[e.kind] ?? e.kind}${browser}`;
      if (e.user_agent) item.title = e.user_agent;
      return item;
    }),
  );
}

function renderDevices(devices: Device[]): void {
  ui.devicesEmpty.hidden = devices.length > 0;
  ui.deviceList.replaceChildren(
    ...devices.map((d) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      const state =
        d.status === "active"
          ? `Active, paired ${formatTime(d.confirmed_at ?? d.created_at)}`
          : `Pending: not confirmed yet (started ${formatTime(d.created_at)})`;
      text.textContent = `${d.name}: ${state}; ${d.algorithm}, ${d.digits} digits, ${d.period} s`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${d.name} (${d.status})`);
      remove.dataset.deviceId = d.id;
      remove.addEventListener("click", () => void removeDevice(d));
      item.append(text, " ", remove);
      return item;
    }),
  );
}

async function removeDevice(d: Device): Promise<void> {
  try {
    await api.removeDevice(currentUser, d.id);
    if (pairing?.deviceId === d.id) endPairing();
    await refresh();
    announce(`Removed ${d.name}.`);
    focus(ui.devicesHeading);
  } catch (e) {
    fail(e, `removing ${d.name}`);
  }
}

ui.userForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  endPairing();
  endLogin();
  show(ui.backupSection, false);
  ui.backupCodes.replaceChildren();
  currentUser = ui.userSelect.value;
  useDemoUser(currentUser);
  try {
    await refresh();
    show(ui.devicesSection, true);
    announce(`Signed in to the demo as ${currentUser}.`);
    focus(ui.devicesHeading);
  } catch (e) {
    fail(e, `loading ${currentUser}`);
  }
});

// ---- pairing ---------------------------------------------------------------------------

function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

function tick(): void {
  if (!pairing) return;
  const left = pairing.totp.secondsRemaining();
  ui.countdownSeconds.textContent = String(left);
  ui.countdownBar.max = pairing.totp.period;
  ui.countdownBar.value = left;
}

function endPairing(): void {
  if (pairing) {
    window.clearInterval(pairing.timer);
    pairing.totp.free();
    pairing = null;
  }
  ui.qr.replaceChildren();
  ui.secret.textContent = "";
  ui.confirmCode.value = "";
  show(ui.pairSection, false);
}

ui.pairForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  endPairing();
  try {
    const started = await api.startPairing(currentUser, ui.deviceName.value.trim());
    const uri = started.otpauth_uri;
    const key = parseUri(uri);
    ui.qr.innerHTML = qrSvg(uri, { ec: "M" });
    const svg = ui.qr.querySelector("svg");
    svg?.setAttribute("aria-hidden", "true");
    svg?.setAttribute("focusable", "false");
    ui.pairIssuer.textContent = key.issuer ?? "(none)";
    ui.pairAccount.textContent = key.account;
    ui.pairParams.textContent = `${key.algorithm}, ${key.digits} digits, every ${key.period ?? 30} seconds`;
    ui.secret.textContent = groupSecret(key.secret);
    ui.secret.setAttribute("aria-label", `Secret key, in groups of four: ${groupSecret(key.secret)}`);
    const totp = Totp.fromUri(uri);
    pairing = { deviceId: started.device.id, totp, timer: window.setInterval(tick, 250) };
    tick();
    show(ui.pairSection, true);
    await refresh();
    announce(`Pairing started for ${started.device.name}: scan the QR code, then enter the code.`);
    focus(ui.pairHeading);
  } catch (e) {
    fail(e, "starting the pairing");
  }
});

ui.confirmForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!pairing) return;
  const code = ui.confirmCode.value.replace(/\s+/g, "");
  try {
    const confirmed = await api.confirm(currentUser, pairing.deviceId, code);
    endPairing();
    await refresh();
    if (confirmed.backup_codes && confirmed.backup_codes.length > 0) {
      ui.backupCodes.replaceChildren(
        ...confirmed.backup_codes.map((c) => {
          const item = document.createElement("li");
          const text = document.createElement("code");
          text.textContent = c;
          item.append(text);
          return item;
        }),
      );
      show(ui.backupSection, true);
      announce(`${confirmed.device.name} is paired. Save your ${confirmed.backup_codes.length} backup codes now.`);
      focus(ui.backupHeading);
    } else {
      announce(`${confirmed.device.name} is paired.`);
      focus(ui.devicesHeading);
    }
  } catch (e) {
    if (e instanceof ApiError && e.code === "expired") endPairing();
    fail(e, "confirming the pairing");
    if (pairing) focus(ui.confirmCode);
  }
});

ui.backupDone.addEventListener("click", () => {
  ui.backupCodes.replaceChildren();
  show(ui.backupSection, false);
  announce("Backup codes hidden. They will not be shown again.");
  show(ui.loginSection, true);
  focus(ui.loginHeading);
});

// ---- login challenge and "remember this browser" -----------------------------------------

interface Remembered {
  token: string;
  id: string;
  expires_at: string;
}

const rememberKey = (u: string) => `twostep-demo-trusted:${u}`;

function remembered(u: string): Remembered | null {
  try {
    const raw = localStorage.getItem(rememberKey(u));
    return raw ? (JSON.parse(raw) as Remembered) : null;
  } catch {
    return null;
  }
}

function renderTrusted(): void {
  const r = remembered(currentUser);
  ui.trustedStatus.textContent = r
    ? `This browser is remembered for ${currentUser} until ${formatTime(r.expires_at)}.`
    : `This browser is not remembered for ${currentUser}: a login asks for a second factor.`;
  ui.forgetDevice.hidden = !r;
}

function endLogin(): void {
  challengeId = null;
  ui.loginForm.reset();
  show(ui.loginForm, false);
  show(ui.loginResult, false);
  syncMethod();
}

function syncMethod(): void {
  const backup = (ui.loginForm.elements.namedItem("method") as RadioNodeList).value === "backup";
  ui.loginCodeLabel.textContent = backup ? "Backup code" : "Code from the authenticator app";
  ui.loginCode.inputMode = backup ? "text" : "numeric";
  ui.loginCode.autocomplete = backup ? "off" : "one-time-code";
}

ui.loginForm.addEventListener("change", (event) => {
  if ((event.target as HTMLInputElement).name === "method") syncMethod();
});

ui.loginStart.addEventListener("click", async () => {
  endLogin();
  try {
    const r = remembered(currentUser);
    if (r) {
      const check = await api.checkTrusted(currentUser, r.token);
      if (check.trusted) {
        announce(
          `Logged in without a second factor: this browser is trusted until ${formatTime(check.expires_at ?? r.expires_at)}.`,
        );
        focus(ui.loginHeading);
        return;
      }
      localStorage.removeItem(rememberKey(currentUser));
      renderTrusted();
    }
    const challenge = await api.startChallenge(currentUser);
    challengeId = challenge.challenge_id;
    show(ui.loginForm, true);
    announce(`Login challenge started; it expires at ${formatTime(challenge.expires_at)}. Enter a code.`);
    focus(ui.loginCode);
  } catch (e) {
    fail(e, "starting the login");
  }
});

function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1] ?? "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

function renderClaims(verified: ChallengeVerified): void {
  const claims = claimsOf(verified.assertion);
  ui.claims.replaceChildren(
    ...Object.entries(claims).flatMap(([name, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.dataset.claim = name;
      dd.textContent =
        typeof value === "number" && ["iat", "exp", "auth_time", "nbf"].includes(name)
          ? `${value} (${new Date(value * 1000).toISOString()})`
          : Array.isArray(value)
            ? value.join(", ")
            : String(value);
      return [dt, dd];
    }),
  );
}

ui.loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!challengeId) return;
  const backup = (ui.loginForm.elements.namedItem("method") as RadioNodeList).value === "backup";
  const value = ui.loginCode.value.trim();
  const rememberDevice = ui.remember.checked;
  try {
    const verified = await api.verifyChallenge(
      challengeId,
      backup ? { backup_code: value } : { code: value.replace(/\s+/g, "") },
      rememberDevice,
    );
    challengeId = null;
    renderClaims(verified);
    if (verified.trusted_device) {
      localStorage.setItem(rememberKey(currentUser), JSON.stringify(verified.trusted_device));
      ui.trustedResult.textContent = `Trusted device: yes. This browser is remembered until ${formatTime(verified.trusted_device.expires_at)}.`;
    } else {
      ui.trustedResult.textContent = "Trusted device: no. The next login asks for a second factor again.";
    }
    show(ui.loginForm, false);
    ui.loginForm.reset();
    syncMethod();
    show(ui.loginResult, true);
    await refresh();
    announce(`Second factor accepted (${backup ? "backup code" : "authenticator code"}) for ${verified.user_id}.`);
    focus(ui.loginResultHeading);
  } catch (e) {
    if (e instanceof ApiError && (e.code === "conflict" || e.code === "expired")) {
      challengeId = null;
      show(ui.loginForm, false);
      fail(e, "this login challenge is over; start a new login");
      focus(ui.loginStart);
      return;
    }
    fail(e, "verifying the second factor");
    focus(ui.loginCode);
  }
});

ui.forgetDevice.addEventListener("click", async () => {
  const r = remembered(currentUser);
  if (!r) return;
  try {
    await api.revokeTrusted(currentUser, r.id);
  } catch (e) {
    if (!(e instanceof ApiError && e.code === "not_found")) {
      fail(e, "forgetting this browser");
      return;
    }
  }
  localStorage.removeItem(rememberKey(currentUser));
  renderTrusted();
  announce("This browser is no longer remembered.");
  focus(ui.loginStart);
});

// ---- start -------------------------------------------------------------------------------

async function start(): Promise<void> {
  await init();
  await loadUsers();
  syncMethod();
  document.body.dataset.ready = "true";
}

start().catch((e) => fail(e, "starting the page"));
