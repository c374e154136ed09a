"""Device registration end to end against the real twostep-server the test run started
(`cargo xtask bindings test`), over a urllib transport: the app side never sees a URL path,
JSON or an error body."""

import base64
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest

import twostep
from twostep import (
    DeviceRegistration,
    DeviceStatus,
    HttpHeader,
    HttpResponse,
    HttpTransport,
    TransportError,
    TwostepError,
)


def env(name):
    value = os.environ.get(name)
    assert value, f"{name} is not set: run these tests with `cargo xtask bindings test`"
    return value


URL = env("TWOSTEP_E2E_URL")
SERVICE_KEY = env("TWOSTEP_E2E_SERVICE_KEY")
JWT_SECRET = env("TWOSTEP_E2E_JWT_SECRET")
MAX_FAILURES = int(env("TWOSTEP_E2E_MAX_FAILURES"))
LOCK_SECS = int(env("TWOSTEP_E2E_LOCK_SECS"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def user_token(sub: str, secret: str = JWT_SECRET) -> str:
    """An HS256 JWT as the host app's backend would sign it (Python's hmac, not twostep)."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": sub, "exp": int(time.time()) + 600}).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{claims}.{b64url(signature)}"


class UrllibTransport(HttpTransport):
    """The app's HTTP client: urllib, returning every answer (4xx and 5xx too)."""

    def __init__(self):
        self.requests = []

    def send(self, request):
        self.requests.append(request)
        req = urllib.request.Request(request.url, data=request.body, method=request.method)
        for h in request.headers:
            req.add_header(h.name, h.value)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return HttpResponse(
                    status=r.status,
                    headers=[HttpHeader(name=k, value=v) for k, v in r.headers.items()],
                    body=r.read(),
                )
        except urllib.error.HTTPError as e:
            return HttpResponse(
                status=e.code,
                headers=[HttpHeader(name=k, value=v) for k, v in e.headers.items()],
                body=e.read(),
            )
        except OSError as e:
            raise TransportError.Failed(str(e))


def service_verify(user: str, code: str):
    """The product backend's verify call, with the service key (plain urllib)."""
    return service_post(f"/v1/users/{user}/verify", code)


def service_post(path: str, code: str):
    """A POST of {"code"} by the product backend, with the service key (plain urllib)."""
    req = urllib.request.Request(
        f"{URL}{path}",
        data=json.dumps({"code": code}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {SERVICE_KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def new_user():
    return f"py-{uuid.uuid4()}"


def wrong_code(totp, now):
    near = {totp.code_at(now + d * 30) for d in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(123457, 999999)) if c not in near)


def test_register_confirm_verify_reuse():
    user = new_user()
    transport = UrllibTransport()
    token = user_token(user)
    reg = DeviceRegistration(URL, user, token, transport)
    pending = reg.begin("Pixel 8", issuer="Acme", account="alice@acme.test")
    assert pending.device.status == DeviceStatus.PENDING
    assert pending.device.name == "Pixel 8"
    uri = twostep.parse_uri(pending.otpauth_uri)
    assert (uri.issuer, uri.account, uri.type) == ("Acme", "alice@acme.test", "totp")
    assert [d.id for d in reg.devices()] == [pending.device.id]

    now = int(time.time())
    confirmed = reg.confirm_at(now)
    assert confirmed.device.id == pending.device.id
    assert confirmed.device.status == DeviceStatus.ACTIVE
    assert confirmed.device.confirmed_at
    # Backup codes come with the user's first device: 10 distinct ones, each accepted once.
    assert len(confirmed.backup_codes) == 10 == len(set(confirmed.backup_codes))
    status, body = service_post(f"/v1/users/{user}/backup-codes/verify", confirmed.backup_codes[0])
    assert (status, body) == (200, {"valid": True, "remaining": 9})
    status, body = service_post(f"/v1/users/{user}/backup-codes/verify", confirmed.backup_codes[0])
    assert status == 422 and body["error"]["code"] == "invalid_code"
    # The SDK built the requests: bearer user token, JSON body, the documented paths.
    first = transport.requests[0]
    assert (first.method, first.url) == ("POST", f"{URL}/v1/users/{user}/devices")
    auth = [h.value for h in first.headers if h.name.lower() == "authorization"]
    assert auth == [f"Bearer {token}"]

    # The backend verifies a fresh code of the phone (next step) once; reuse is refused.
    fresh = pending.totp.next_code_at(now)
    status, body = service_verify(user, fresh)
    assert (status, body) == (200, {"valid": True, "device_id": pending.device.id})
    status, body = service_verify(user, fresh)
    assert status == 422 and body["error"]["code"] == "invalid_code"

    assert [d.status for d in reg.devices()] == [DeviceStatus.ACTIVE]
    reg.remove_device(pending.device.id)
    assert reg.devices() == []


def test_wrong_code_then_locked_with_retry_after():
    user = new_user()
    reg = DeviceRegistration(URL, user, user_token(user), UrllibTransport())
    pending = reg.begin("phone")
    bad = wrong_code(pending.totp, int(time.time()))
    for _ in range(MAX_FAILURES):
        with pytest.raises(TwostepError.InvalidCode):
            reg.confirm(bad)
    with pytest.raises(TwostepError.Locked) as locked:
        reg.confirm_now()
    assert 0 < locked.value.retry_after_seconds <= LOCK_SECS
    # The pairing is still there: the lock, not the device, refused it.
    assert [d.status for d in reg.devices()] == [DeviceStatus.PENDING]


def test_server_and_client_errors_are_typed():
    user = new_user()
    with pytest.raises(TwostepError.Server) as e:
        DeviceRegistration(URL, user, user_token(user, "not-the-secret-at-all"), UrllibTransport()).devices()
    assert (e.value.code, e.value.status) == ("unauthorized", 401)
    other = new_user()
    with pytest.raises(TwostepError.Server) as e:
        DeviceRegistration(URL, other, user_token(user), UrllibTransport()).devices()
    assert (e.value.code, e.value.status) == ("forbidden", 403)
    reg = DeviceRegistration(URL, user, user_token(user), UrllibTransport())
    with pytest.raises(TwostepError.InvalidInput) as e:
        reg.confirm("123456")
    assert e.value.code == "no_pending_device"
    with pytest.raises(TwostepError.Server) as e:
        reg.remove_device(str(uuid.uuid4()))
    assert (e.value.code, e.value.status) == ("not_found", 404)
    with pytest.raises(TwostepError.InvalidInput) as e:
        DeviceRegistration("ftp://x", user, "t", UrllibTransport())
    assert e.value.code == "invalid_url"


def test_transport_failures_are_typed():
    # Nothing listens on port 9 of 127.0.0.1 here: urllib fails, the SDK reports Transport.
    reg = DeviceRegistration("http://127.0.0.1:9", "alice", user_token("alice"), UrllibTransport())
    with pytest.raises(TwostepError.Transport):
        reg.begin("phone")

    class Broken(HttpTransport):
        def send(self, request):
            raise RuntimeError("boom")

    with pytest.raises(TwostepError.Transport) as e:
        DeviceRegistration(URL, "alice", user_token("alice"), Broken()).devices()
    assert "boom" in e.value.reason
