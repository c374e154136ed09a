// The twostep HTTP API (shared/API.md), reached through the demo backend on the same origin.
// The browser holds no twostep credential: it names the demo user in `X-Demo-User` and the
// demo backend signs a short user token for that user (see backend/server.mjs).

export interface Device {
  id: string;
  name: string;
  status: "pending" | "active";
  algorithm: string;
  digits: number;
  period: number;
  created_at: string;
  confirmed_at?: string;
  last_used_at?: string;
}

export interface Pairing {
  device: Device;
  otpauth_uri: string;
  secret: string;
}

export interface Confirmed {
  device: Device;
  backup_codes?: string[];
}

export interface MfaStatus {
  enabled: boolean;
  active_devices: number;
  backup_codes_remaining: number;
  locked_until?: string;
}

export interface AuditEvent {
  id: string;
  kind: string;
  at: string;
  ip?: string;
  user_agent?: string;
}

export interface Challenge {
  challenge_id: string;
  expires_at: string;
  methods: string[];
}

export interface TrustedDeviceGrant {
  token: string;
  id: string;
  expires_at: string;
}

export interface ChallengeVerified {
  status: "verified";
  user_id: string;
  verified_at: string;
  assertion: string;
  trusted_device?: TrustedDeviceGrant;
}

export interface TrustedCheck {
  trusted: boolean;
  expires_at?: string;
}

/** A non-2xx answer: the API's stable error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let demoUser = "";

/** The demo user every following request acts for. */
export function useDemoUser(user: string): void {
  demoUser = user;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "X-Demo-User": demoUser };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "same-origin",
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = Number(response.headers.get("Retry-After"));
    throw new ApiError(
      response.status,
      error?.code ?? "http_" + response.status,
      error?.message ?? `the server answered ${response.status}`,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  }
  return json as T;
}

const user = (u: string) => `/v1/users/${encodeURIComponent(u)}`;

export const api = {
  demoUsers: () => call<{ users: string[] }>("GET", "/demo/users"),
  mfa: (u: string) => call<MfaStatus>("GET", `${user(u)}/mfa`),
  devices: (u: string) => call<{ devices: Device[] }>("GET", `${user(u)}/devices`),
  // No `?qr=svg`: the page draws the QR code itself from `otpauth_uri`.
  startPairing: (u: string, name: string) => call<Pairing>("POST", `${user(u)}/devices`, { name }),
  confirm: (u: string, id: string, code: string) =>
    call<Confirmed>("POST", `${user(u)}/devices/${encodeURIComponent(id)}/confirm`, { code }),
  events: (u: string, limit: number) => call<{ events: AuditEvent[] }>("GET", `${user(u)}/events?limit=${limit}`),
  removeDevice: (u: string, id: string) =>
    call<void>("DELETE", `${user(u)}/devices/${encodeURIComponent(id)}`),
  startChallenge: (u: string) =>
    call<Challenge>("POST", "/v1/challenges", { user_id: u, user_agent: navigator.userAgent }),
  verifyChallenge: (
    id: string,
    secondFactor: { code: string } | { backup_code: string },
    rememberDevice: boolean,
  ) =>
    call<ChallengeVerified>("POST", `/v1/challenges/${encodeURIComponent(id)}/verify`, {
      ...secondFactor,
      remember_device: rememberDevice,
      ...(rememberDevice ? { device_label: "twostep SPA demo browser" } : {}),
    }),
  checkTrusted: (u: string, token: string) =>
    call<TrustedCheck>("POST", "/v1/trusted-devices/check", { user_id: u, token }),
  revokeTrusted: (u: string, id: string) =>
    call<void>("DELETE", `${user(u)}/trusted-devices/${encodeURIComponent(id)}`),
};
