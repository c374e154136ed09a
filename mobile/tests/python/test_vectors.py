"""Every case of the shared vectors, one pytest test per case, as in the Rust and Kotlin suites."""

import pytest

import twostep
from vectors import cases, load

OTP = cases("otp.json")
URI = cases("uri.json")


def test_case_counts():
    assert len(OTP) == 28, "RFC 4226 D has 10 cases, RFC 6238 B has 18"
    assert len(URI) >= 40


@pytest.mark.parametrize("case", OTP)
def test_otp(case):
    secret, algorithm, digits = case["secret_base32"], case["algorithm"], case["digits"]
    if case["type"] == "hotp":
        assert twostep.hotp(secret, case["counter"], algorithm, digits) == case["code"]
        return
    assert case["type"] == "totp"
    totp = twostep.Totp(secret, algorithm, digits, case["period"])
    assert totp.step_at(case["time"]) == case["step"]
    assert totp.code_at(case["time"]) == case["code"]
    assert totp.verify(case["code"], case["time"], 0) == case["step"]
    spaced = " ".join(secret.lower()[i : i + 4] for i in range(0, len(secret), 4))
    assert twostep.Totp(spaced, algorithm, digits, case["period"]).code_at(case["time"]) == case["code"]


def expected(p):
    return twostep.KeyUri(
        type=p["type"],
        secret=p["secret"],
        issuer=p.get("issuer"),
        account=p["account"],
        algorithm=p["algorithm"],
        digits=p["digits"],
        period=p.get("period"),
        counter=p.get("counter"),
        params=[twostep.KeyUriParam(name=n, value=v) for n, v in p["params"]],
    )


@pytest.mark.parametrize("case", URI)
def test_uri(case):
    if "error" in case:
        with pytest.raises(twostep.TwostepError.InvalidInput) as e:
            twostep.parse_uri(case["uri"])
        assert e.value.code == case["error"]
        return
    uri = twostep.parse_uri(case["uri"])
    assert uri == expected(case["parsed"])
    assert twostep.build_uri(uri) == case["canonical"]
    assert twostep.parse_uri(case["canonical"]) == uri
    if uri.type == "totp":
        assert twostep.Totp.from_uri(case["uri"]).period() == uri.period
    else:
        with pytest.raises(twostep.TwostepError.InvalidInput) as e:
            twostep.Totp.from_uri(case["uri"])
        assert e.value.code == "unsupported_type"


MIGRATION = load("migration.json")


@pytest.mark.parametrize("case", MIGRATION["single"])
def test_migration_import(case):
    assert [twostep.build_uri(k) for k in twostep.import_migration(case["uri"])] == case["keys"]


@pytest.mark.parametrize("case", MIGRATION["errors"], ids=lambda c: c["error"])
def test_migration_errors(case):
    with pytest.raises(twostep.TwostepError.InvalidInput) as e:
        twostep.import_migration(case["uri"])
    assert e.value.code == case["error"]
