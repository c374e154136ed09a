"""TOTP (RFC 6238) of an otpauth:// URI, for the SPA end-to-end test: an implementation
independent of twostep (Python's urllib, base64, hmac and hashlib only).

    python3 totp.py URI [UNIX_TIME]    prints the code at UNIX_TIME (default now)
"""

import base64
import hashlib
import hmac
import struct
import sys
import time
from urllib.parse import parse_qs, urlsplit


def totp(uri: str, now: int) -> str:
    parts = urlsplit(uri)
    if parts.scheme != "otpauth" or parts.netloc != "totp":
        raise SystemExit(f"not a TOTP key URI: {uri}")
    query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
    secret = query["secret"].upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[
        query.get("algorithm", "SHA1")
    ]
    digits = int(query.get("digits", "6"))
    period = int(query.get("period", "30"))
    mac = hmac.new(key, struct.pack(">Q", now // period), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


if __name__ == "__main__":
    at = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time())
    print(totp(sys.argv[1], at))
