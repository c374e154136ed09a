// DEMO BACKEND for the twostep SPA example. Not for production.
//
// It stands where your application's own backend stands: between the browser and
// twostep-server. The browser never holds a twostep credential. This demo has no login of
// its own, so the page names one of the configured demo users in an `X-Demo-User` header;
// for that user only, this process signs a user token (HS256 JWT, `sub` = the user, valid
// 60 seconds) with the server's `jwt_hs256_secret` and forwards the request to twostep-server.
// twostep-server then lets the request act on that user and no other. A real backend takes
// the user from its login session instead of a header, and keeps the secret the same way.
//
// It also serves the built page (dist/) with a Content-Security-Policy that allows
// connections to this origin only.
//
// Environment:
//   TWOSTEP_URL                twostep-server base URL (required), e.g. http://127.0.0.1:8080
//   TWOSTEP_JWT_HS256_SECRET   the server's jwt_hs256_secret (required, at least 32 characters)
//   SPA_DEMO_USERS             comma-separated demo user ids (default alice,bob,carol)
//   SPA_LISTEN                 host:port to listen on (default 127.0.0.1:5174; port 0 = any)
//   SPA_DIST                   the built page (default ../dist next to this file)
//
// The first line on stdout is `spa demo backend listening on http://HOST:PORT`.
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const upstream = required("TWOSTEP_URL").replace(/\/+$/, "");
const jwtSecret = required("TWOSTEP_JWT_HS256_SECRET");
if (jwtSecret.length < 32) fatal("TWOSTEP_JWT_HS256_SECRET must have at least 32 characters");
const users = (process.env.SPA_DEMO_USERS ?? "alice,bob,carol")
  .split(",")
  .map((u) => u.trim())
  .filter(Boolean);
const [host, port] = (process.env.SPA_LISTEN ?? "127.0.0.1:5174").split(":");
const dist = resolve(process.env.SPA_DIST ?? fileURLToPath(new URL("../dist", import.meta.url)));
const BODY_LIMIT = 16 * 1024;
const TOKEN_LIFETIME_SECS = 60;

function required(name) {
  const value = process.env[name];
  if (!value) fatal(`${name} is required`);
  return value;
}

function fatal(message) {
  console.error(`spa demo backend: ${message}`);
  process.exit(2);
}

const b64url = (data) => Buffer.from(data).toString("base64url");

/** An HS256 user token for `sub`, as twostep-server's `jwt_hs256_secret` checks it. */
function userToken(sub) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = b64url(JSON.stringify({ sub, iat: now, exp: now + TOKEN_LIFETIME_SECS }));
  const signature = createHmac("sha256", jwtSecret).update(`${head}.${claims}`).digest("base64url");
  return `${head}.${claims}.${signature}`;
}

/**
 * The API paths the page may reach. `user` is the user a path names, which must be the demo
 * user of the request; requests that name the user in their body are checked the same way.
 */
const ROUTES = [
  { method: "GET", path: /^\/v1\/jwks\.json$/, public: true },
  { method: "GET", path: /^\/v1\/users\/([^/]+)\/(mfa|devices|backup-codes|trusted-devices|events)$/ },
  { method: "POST", path: /^\/v1\/users\/([^/]+)\/devices$/ },
  { method: "POST", path: /^\/v1\/users\/([^/]+)\/devices\/[^/]+\/confirm$/ },
  { method: "DELETE", path: /^\/v1\/users\/([^/]+)\/(devices|trusted-devices)\/[^/]+$/ },
  { method: "POST", path: /^\/v1\/challenges$/, bodyUser: true },
  { method: "GET", path: /^\/v1\/challenges\/[^/]+$/ },
  { method: "POST", path: /^\/v1\/challenges\/[^/]+\/verify$/ },
  { method: "POST", path: /^\/v1\/trusted-devices\/check$/, bodyUser: true },
];

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

function sendError(res, status, code, message) {
  send(res, status, JSON.stringify({ error: { code, message } }), {
    "content-type": "application/json",
    "cache-control": "no-store",
  });
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function proxy(req, res, url) {
  const route = ROUTES.find((r) => r.method === req.method && r.path.test(url.pathname));
  if (!route) return sendError(res, 404, "not_found", "not an API path of this demo");
  const headers = {};
  const user = req.headers["x-demo-user"];
  if (!route.public) {
    if (typeof user !== "string" || !users.includes(user)) {
      return sendError(res, 403, "forbidden", "X-Demo-User must name one of the demo users");
    }
    const named = url.pathname.match(route.path)?.[1];
    if (named !== undefined && named !== encodeURIComponent(user)) {
      return sendError(res, 403, "forbidden", "the path names another user than X-Demo-User");
    }
    headers.authorization = `Bearer ${userToken(user)}`;
  }
  // For the audit log: the browser's user agent, and its address for a server that lists this
  // backend in `trusted_proxies` (otherwise the server ignores X-Forwarded-For).
  if (req.headers["user-agent"]) headers["user-agent"] = req.headers["user-agent"];
  if (req.socket.remoteAddress) headers["x-forwarded-for"] = req.socket.remoteAddress;
  let body;
  if (req.method !== "GET" && req.method !== "DELETE") {
    body = await readBody(req);
    if (body === null) return sendError(res, 413, "bad_request", "request body too large");
    headers["content-type"] = "application/json";
    if (route.bodyUser) {
      let named;
      try {
        named = JSON.parse(body.toString("utf8"))?.user_id;
      } catch {
        return sendError(res, 400, "bad_request", "the body is not JSON");
      }
      if (named !== user) {
        return sendError(res, 403, "forbidden", "the body names another user than X-Demo-User");
      }
    }
  }
  let answer;
  try {
    answer = await fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers,
      body,
      redirect: "manual",
    });
  } catch {
    return sendError(res, 502, "bad_gateway", "twostep-server is not reachable");
  }
  const out = {};
  for (const name of ["content-type", "cache-control", "retry-after"]) {
    const value = answer.headers.get(name);
    if (value !== null) out[name] = value;
  }
  send(res, answer.status, Buffer.from(await answer.arrayBuffer()), out);
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

async function serveFile(req, res, url) {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "", { allow: "GET, HEAD" });
  const path = url.pathname === "/" ? "/index.html" : normalize(decodeURIComponent(url.pathname));
  const file = join(dist, path);
  if (!file.startsWith(dist + "/")) return send(res, 400, "");
  try {
    const body = await readFile(file);
    const cache = path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    send(res, 200, req.method === "HEAD" ? "" : body, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": cache,
    });
  } catch {
    send(res, 404, "not found", { "content-type": "text/plain" });
  }
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/demo/users" && req.method === "GET") {
      return send(res, 200, JSON.stringify({ users }), { "content-type": "application/json" });
    }
    if (url.pathname.startsWith("/v1/")) return await proxy(req, res, url);
    return await serveFile(req, res, url);
  } catch (e) {
    console.error("spa demo backend:", e);
    if (!res.headersSent) sendError(res, 500, "internal", "demo backend error");
    else res.destroy();
  }
});

server.listen(Number(port ?? 5174), host || "127.0.0.1", () => {
  const address = server.address();
  console.log(`spa demo backend listening on http://${address.address}:${address.port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
