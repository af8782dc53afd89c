"""RFC 3161 timestamps of signatures: asking a timestamping authority (TSA) over HTTP, and checking a token.

A token is the TSA's CMS signature over the SHA-256 of the stamped bytes and a time (genTime): it proves that
those bytes existed then. With a trusted token, a signer's certificate is checked at that time rather than now,
so a pack signed while its certificate was valid still verifies after the certificate expires. The TSA's own
certificate is checked at the time it states; revocation is not checked (verification runs offline).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from compliance.errors import TimestampError
from compliance.evidence.trust import chain_problem

TIMEOUT_SECONDS = 30
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


@dataclass(frozen=True)
class TimestampCheck:
    """What checking a token found: its time and authority, what is wrong with it, and whether the authority is
    trusted (`trust_problem` says why not; both empty when no roots were given)."""

    time: datetime.datetime | None
    authority: x509.Certificate | None
    problems: tuple[str, ...]
    trusted: bool = False
    trust_problem: str = ""


def request_timestamp(url: str, data: bytes, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The DER token the TSA at `url` returns for the SHA-256 of `data`; a TimestampError says why there is none."""
    from asn1crypto import tsp

    nonce = secrets.randbits(63)
    digest = hashlib.sha256(data).digest()
    query = tsp.TimeStampReq({
        "version": 1, "nonce": nonce, "cert_req": True,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
    })
    request = urllib.request.Request(url, data=query.dump(), headers={"Content-Type": QUERY_TYPE}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TimestampError(url, f"no answer: {getattr(error, 'reason', error)}") from None
    try:
        reply = tsp.TimeStampResp.load(body)
        status = reply["status"]["status"].native
        token = reply["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        stamped, answered_nonce = info["message_imprint"]["hashed_message"].native, info["nonce"].native
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TimestampError(url, "the answer is not an RFC 3161 timestamp response") from None
    if status not in ("granted", "granted_with_mods"):
        raise TimestampError(url, f"the request was refused ({status})")
    if stamped != digest or answered_nonce != nonce:
        raise TimestampError(url, "the token does not stamp what was asked (digest or nonce differs)")
    return token.dump()


def check_timestamp(token: bytes, data: bytes, roots: Sequence[x509.Certificate] | None) -> TimestampCheck:
    """Whether `token` stamps `data`, intact and valid, by a TSA that chains to `roots` (not checked when None)."""
    try:
        moment, authority, embedded, intact, valid = token_status(token, data)
    except ImportError:
        raise  # a broken installation says nothing about the token
    except Exception as error:  # a token that breaks the validator fails validation, whatever pyHanko raised
        return TimestampCheck(None, None, (f"cannot be validated: {type(error).__name__}: {error}",))
    problems = []
    if not intact:
        problems.append("does not stamp this signature (its message imprint differs)")
    elif not valid:
        problems.append("the TSA's signature over the token does not verify")
    if "time_stamping" not in authority_usages(authority):
        problems.append("the TSA certificate does not allow timestamping (extended key usage timeStamping)")
    if roots is None or problems:
        return TimestampCheck(moment, authority, tuple(problems))
    reason = chain_problem([authority, *[c for c in embedded if c != authority]], roots, moment)
    return TimestampCheck(moment, authority, (), not reason, reason)


def token_status(token: bytes, data: bytes) -> tuple[datetime.datetime, x509.Certificate,
                                                     list[x509.Certificate], bool, bool]:
    """The time, TSA certificate, embedded certificates of `token`, whether it stamps `data` and its signature holds.

    pyHanko checks the imprint and the CMS signature; the TSA's chain is checked by the caller, against its roots.
    """
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    signed_data = cms.ContentInfo.load(token)["content"]
    moment = signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    embedded = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed_data["certificates"] or ()]

    def imprint(algorithm: str) -> bytes:
        return hashlib.new(algorithm, data).digest()

    status = asyncio.run(validate_tst_signed_data(
        signed_data, ValidationContext(trust_roots=[], allow_fetching=False, moment=moment), imprint))
    authority = x509.load_der_x509_certificate(status["signing_cert"].dump())
    return moment, authority, embedded, bool(status["intact"]), bool(status["valid"])


def authority_usages(certificate: x509.Certificate) -> set[str]:
    """The extended key usages of a certificate by asn1crypto's names (`time_stamping`...)."""
    from asn1crypto import x509 as asn1_x509

    loaded = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    return set(loaded.extended_key_usage_value.native or ()) if loaded.extended_key_usage_value else set()
