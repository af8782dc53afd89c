"""Whether a certificate may sign at a moment, and whether it chains to a trusted certificate.

Chains are validated by pyHanko's certvalidator (RFC 5280 path validation), not by a walk of our own: every
issuer on the path must be a CA (basicConstraints) whose key usage allows signing certificates, within its path
length, and every certificate must be valid at the moment of signing. The signer itself must allow
digitalSignature or nonRepudiation and, when it lists extended key usages, one meant for signing documents; a
timestamping authority must carry the timeStamping usage (checked where its tokens are validated).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from compliance.times import format_utc

# pyHanko logs every failed path building with a traceback; the results already say what failed.
for logger_name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(logger_name).addHandler(logging.NullHandler())

# Extended key usages that allow signing documents: any, document signing (RFC 9336), e-mail protection
# (S/MIME, which PDF readers accept), code signing, Adobe's authentic documents and Microsoft's document signing.
DOCUMENT_SIGNING_USAGES = frozenset({
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
    ExtendedKeyUsageOID.EMAIL_PROTECTION,
    ExtendedKeyUsageOID.CODE_SIGNING,
    ObjectIdentifier("1.2.840.113583.1.1.5"),
    ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
})


def fingerprint(certificate: x509.Certificate) -> str:
    """The SHA-256 fingerprint of a certificate as `openssl x509 -fingerprint -sha256` prints it (AB:CD:...)."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def described(certificate: x509.Certificate) -> str:
    """`CN=...,O=... (SHA-256 AB:CD:...)`: a certificate named so that two with one subject are told apart."""
    return f"{certificate.subject.rfc4514_string()} (SHA-256 {fingerprint(certificate)})"


def validity_problem(certificate: x509.Certificate, moment: datetime.datetime) -> str:
    """Why `certificate` is not valid at `moment` (expired or not yet valid), or ''."""
    if moment > certificate.not_valid_after_utc:
        return f"certificate expired at {format_utc(certificate.not_valid_after_utc)}"
    if moment < certificate.not_valid_before_utc:
        return f"certificate is not valid before {format_utc(certificate.not_valid_before_utc)}"
    return ""


def usage_problem(certificate: x509.Certificate) -> str:
    """Why `certificate` may not sign documents (key usage or extended key usage), or ''."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        return "certificate key usage allows neither digitalSignature nor nonRepudiation"
    try:
        extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ""
    if not DOCUMENT_SIGNING_USAGES & set(extended):
        return "certificate extended key usage does not allow signing documents"
    return ""


def signing_problem(certificate: x509.Certificate, moment: datetime.datetime) -> str:
    """Why `certificate` cannot sign at `moment` (not valid then, or its usages forbid signing documents), or ''."""
    return validity_problem(certificate, moment) or usage_problem(certificate)


def chain_problem(certificates: Sequence[x509.Certificate], roots: Sequence[x509.Certificate],
                  moment: datetime.datetime) -> str:
    """Why the first of `certificates` does not chain to one of `roots` at `moment` through the others, or ''."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import (
        InvalidCertificateError,
        PathBuildingError,
        PathValidationError,
        ValidationError,
    )

    def loaded(certificate: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))

    leaf, *intermediates = certificates
    if any(leaf == root for root in roots):
        return ""
    context = ValidationContext(trust_roots=[loaded(root) for root in roots], allow_fetching=False, moment=moment,
                                other_certs=[loaded(extra) for extra in intermediates])
    validator = CertificateValidator(loaded(leaf), [loaded(extra) for extra in intermediates], context)
    try:
        asyncio.run(validator.async_validate_path())
    except PathBuildingError:
        return "no path of issuing certificates leads to a trusted certificate"
    except InvalidCertificateError as error:
        if "self-signed" in str(error):
            return "it is self-signed, and not a trusted certificate itself"
        return str(error).rstrip(".")
    except (PathValidationError, ValidationError) as error:
        return str(error).rstrip(".")
    return ""
