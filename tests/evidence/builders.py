"""Real keys and certificates for the evidence tests: self-signed, or issued by a CA as an organisation would."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from compliance.evidence.keys import SIGNING_KEY_USAGE, Signer, self_signed_certificate, subject_name

CERTIFICATES_FROM = "2020-01-01T00:00:00Z"
CERTIFICATE_DAYS = 30 * 365
CREATED_AT = "2026-09-30T12:00:00Z"
SUBJECT = "CN=ACME Payments segproof,O=ACME Payments Ltd"


def self_signed_signer(subject: str = SUBJECT) -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    return Signer(key, self_signed_certificate(key, subject, CERTIFICATES_FROM, CERTIFICATE_DAYS))


def issued(subject: str, issuer: Signer | None, ca: bool) -> Signer:
    """A key with a certificate issued by `issuer` (self-signed when None), as an organisation's CA would."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = subject_name(subject)
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False) if ca else SIGNING_KEY_USAGE
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()), critical=False)
    return Signer(key, builder.sign(issuer.private_key if issuer else key, hashes.SHA256()))
