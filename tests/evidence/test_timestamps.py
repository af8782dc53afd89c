"""RFC 3161 timestamps against a real local authority: asking for one, and every way a token must fail."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from compliance.errors import EXIT_UNREACHABLE, TimestampError
from compliance.evidence.timestamps import check_timestamp, request_timestamp
from tests.support.tsa import TimestampAuthority

STAMPED_AT = datetime.datetime(2026, 9, 30, 12, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def tsa() -> Iterator[TimestampAuthority]:
    with TimestampAuthority(stamp_time=STAMPED_AT) as authority:
        yield authority


def test_a_token_stamps_the_data_at_the_authoritys_time(tsa: TimestampAuthority) -> None:
    token = request_timestamp(tsa.url, b"signature value")
    trusted = check_timestamp(token, b"signature value", [tsa.root])
    assert (trusted.time, trusted.trusted, trusted.problems) == (STAMPED_AT, True, ())
    assert trusted.authority == tsa.certificate
    unchecked = check_timestamp(token, b"signature value", None)
    assert (unchecked.time, unchecked.trusted, unchecked.trust_problem, unchecked.problems) == (STAMPED_AT, False, "",
                                                                                                ())


def test_a_token_over_other_data_or_altered_fails(tsa: TimestampAuthority) -> None:
    token = request_timestamp(tsa.url, b"signature value")
    assert check_timestamp(token, b"another value", [tsa.root]).problems == (
        "does not stamp this signature (its message imprint differs)",)
    altered = bytearray(token)
    altered[-20] ^= 0x01
    assert check_timestamp(bytes(altered), b"signature value", [tsa.root]).problems == (
        "the TSA's signature over the token does not verify",)
    [problem] = check_timestamp(b"not a token", b"signature value", [tsa.root]).problems
    assert problem.startswith("cannot be validated: ")


def test_an_authority_that_does_not_chain_to_the_roots_is_not_trusted(tsa: TimestampAuthority) -> None:
    token = request_timestamp(tsa.url, b"signature value")
    with TimestampAuthority() as other:
        found = check_timestamp(token, b"signature value", [other.root])
    assert not found.trusted and found.problems == () and found.trust_problem


def test_an_authority_without_the_timestamping_usage_fails() -> None:
    with TimestampAuthority(usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])) as wrong:
        token = request_timestamp(wrong.url, b"signature value")
        assert check_timestamp(token, b"signature value", [wrong.root]).problems == (
            "the TSA certificate does not allow timestamping (extended key usage timeStamping)",)


def test_an_unreachable_authority_is_exit_3_naming_it() -> None:
    with pytest.raises(TimestampError, match=r"timestamping authority http://127\.0\.0\.1:9/tsa: no answer") as raised:
        request_timestamp("http://127.0.0.1:9/tsa", b"x", timeout=5)
    assert raised.value.exit_code == EXIT_UNREACHABLE
