"""Types, defaults, helpers, threads and the error code of every class of bad input."""

import threading
import time

import pytest

import twostep
from twostep import KeyUri, QrEcLevel, QrOptions, Totp, TwostepError

RFC = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"

BAD = [
    ("invalid_base32", lambda: Totp("JBSWY3DPEHPK3PX1")),
    ("invalid_base32", lambda: Totp("")),
    ("invalid_secret_length", lambda: Totp("A" * 416)),
    ("invalid_secret_length", lambda: twostep.generate_secret(8)),
    ("unsupported_algorithm", lambda: Totp(RFC, "MD5")),
    ("unsupported_algorithm", lambda: twostep.hotp(RFC, 0, "SHA3")),
    ("invalid_digits", lambda: Totp(RFC, "SHA1", 5)),
    ("invalid_digits", lambda: twostep.hotp(RFC, 0, "SHA1", 11)),
    ("invalid_period", lambda: Totp(RFC, "SHA1", 6, 0)),
    ("invalid_uri", lambda: twostep.parse_uri("https://example.com/?secret=JBSWY3DPEHPK3PXP")),
    ("missing_secret", lambda: Totp.from_uri("otpauth://totp/Example:alice?issuer=Example")),
    ("invalid_account", lambda: twostep.build_uri(KeyUri(type="totp", secret=RFC, account="a:b"))),
    ("invalid_issuer", lambda: twostep.build_uri(KeyUri(type="totp", secret=RFC, account="a", issuer=""))),
    ("missing_counter", lambda: twostep.build_uri(KeyUri(type="hotp", secret=RFC, account="a"))),
    ("unsupported_type", lambda: twostep.build_uri(KeyUri(type="motp", secret=RFC, account="a"))),
    ("invalid_migration", lambda: twostep.import_migration("otpauth-migration://offline?data=%%%")),
    ("data_too_long", lambda: twostep.qr_svg("x" * 3000)),
    ("invalid_color", lambda: twostep.qr_svg("x", QrOptions(dark="black"))),
    ("invalid_scale", lambda: twostep.qr_png("x", QrOptions(scale=0))),
]


@pytest.mark.parametrize("code,call", BAD, ids=[f"{c}-{i}" for i, (c, _) in enumerate(BAD)])
def test_error_codes(code, call):
    with pytest.raises(TwostepError) as e:
        call()
    assert isinstance(e.value, TwostepError.InvalidInput)
    assert e.value.code == code
    assert e.value.reason
    assert "JBSWY3DPEHPK3PX1" not in e.value.reason


def test_defaults_and_rfc_values():
    totp = Totp(RFC)
    assert (totp.algorithm(), totp.digits(), totp.period()) == ("SHA1", 6, 30)
    assert totp.code_at(59) == "287082"  # RFC 6238 B, truncated to 6 digits
    assert twostep.hotp(RFC, 0) == "755224"  # RFC 4226 D, count 0


def test_authenticator_helpers():
    totp = Totp(RFC, "SHA1", 8, 30)
    d = totp.display_at(59)
    assert d == twostep.CodeDisplay(code="94287082", next_code=totp.code_at(60), seconds_remaining=1, period=30)
    assert totp.next_code_at(59) == totp.code_at(60)
    assert totp.seconds_remaining(60) == 30
    now = int(time.time())
    assert totp.current_code() in (totp.code_at(now), totp.code_at(now + 1))


def test_verify_window():
    totp = Totp(RFC, "SHA1", 8, 30)
    assert totp.verify("94287082", 89, 0) is None
    assert totp.verify("94287082", 89, 1) == 1
    assert totp.verify("9428708", 59, 1) is None


def test_generated_secrets():
    a, b = twostep.generate_secret(20), twostep.generate_secret(20)
    assert len(a) == 32 and a != b
    assert set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_qr():
    uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    assert "<svg" in twostep.qr_svg(uri)[:200]
    png = twostep.qr_png(uri)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(twostep.qr_png(uri, QrOptions(scale=16, ec_level=QrEcLevel.HIGH))) > len(png)


def test_threads_share_one_totp():
    rfc = {59: "94287082", 1111111109: "07081804", 1234567890: "89005924", 20000000000: "65353130"}
    totp = Totp(RFC, "SHA1", 8, 30)
    errors = []

    def work():
        for _ in range(500):
            for t, want in rfc.items():
                if totp.code_at(t) != want or totp.verify(want, t, 1) != t // 30:
                    errors.append(t)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
