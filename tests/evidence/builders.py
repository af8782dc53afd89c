"""Real keys and certificates for the evidence tests: self-signed, or issued by a CA as an organisation would."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from compliance.evidence.keys import SIGNING_KEY_USAGE, Signer, self_signed_certificate, subject_name
from tests.support.renderers import small_pdf

CERTIFICATES_FROM = "2020-01-01T00:00:00Z"
CERTIFICATE_DAYS = 30 * 365
CREATED_AT = "2026-09-30T12:00:00Z"
SUBJECT = "CN=ACME Payments segproof,O=ACME Payments Ltd"


def self_signed_signer(subject: str = SUBJECT) -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    return Signer(key, self_signed_certificate(key, subject, CERTIFICATES_FROM, CERTIFICATE_DAYS))


def issued(subject: str, issuer: Signer | None, ca: bool, *, key_cert_sign: bool = True,
           extended_usage: x509.ExtendedKeyUsage | None = None, days: int = CERTIFICATE_DAYS,
           start: datetime.datetime | None = None) -> Signer:
    """A key with a certificate issued by `issuer` (self-signed when None), as an organisation's CA would."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = subject_name(subject)
    start = start or datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=True,
                          encipher_only=False, decipher_only=False) if ca else SIGNING_KEY_USAGE
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if extended_usage is not None:
        builder = builder.add_extension(extended_usage, critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()), critical=False)
    return Signer(key, builder.sign(issuer.private_key if issuer else key, hashes.SHA256()))


def complete_pack_files(changes: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The files of a small but complete pack (every required file, a real PDF), with `changes` applied."""
    return {
        "report.pdf": small_pdf(),
        "data/findings.csv": b"control,object,status\n1.3.2,payments/api,pass\n",
        "data/controls.csv": b"control,status\n1.3.2,pass\n",
        "snapshot.json": b'{"format": "segproof.snapshot/v1"}\n',
        "scope.yaml": b"apiVersion: segproof/v1\nkind: Scope\n",
        **(changes or {}),
    }
