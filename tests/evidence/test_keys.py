"""Signing keys: created with a self-signed certificate or a CSR, loaded back with typed errors."""

from __future__ import annotations

import datetime
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from compliance.errors import (
    EXIT_BAD_INPUT,
    CertificateNotValid,
    InvalidValue,
    KeyCertificateMismatch,
    KeyFilesExist,
    NotACertificate,
    NotAKey,
    WrongPassword,
)
from compliance.evidence.keys import (
    CERTIFICATE_FILE,
    KEY_FILE,
    REQUEST_FILE,
    Signer,
    create_key_files,
    load_certificate,
    load_private_key,
    load_signer,
)
from compliance.evidence.signing import sign_envelope, verify_envelope
from compliance.evidence.trust import chain_problem

from .builders import SUBJECT

NOW = "2026-11-26T05:00:00Z"


def test_creates_a_p256_key_and_a_self_signed_signing_certificate(tmp_path: Path) -> None:
    created = create_key_files(tmp_path / "keys", SUBJECT, NOW)
    assert (created.key, created.certificate, created.request) == (
        tmp_path / "keys" / KEY_FILE, tmp_path / "keys" / CERTIFICATE_FILE, None)
    assert stat.S_IMODE(created.key.stat().st_mode) == 0o600
    assert created.key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    certificate = load_certificate(created.certificate)
    assert certificate.subject.rfc4514_string() == SUBJECT
    assert certificate.issuer == certificate.subject
    certificate.verify_directly_issued_by(certificate)
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    assert certificate.public_key().curve.name == "secp256r1"
    assert certificate.not_valid_before_utc == datetime.datetime(2026, 11, 26, 5, tzinfo=datetime.timezone.utc)
    assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days == 3 * 365
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    signer = load_signer(created.key, created.certificate, NOW)
    assert signer.certificate == certificate and signer.chain == ()


def test_creates_a_csr_for_an_organisations_ca(tmp_path: Path) -> None:
    created = create_key_files(tmp_path, SUBJECT, NOW, request=True)
    assert created.certificate is None and created.request == tmp_path / REQUEST_FILE
    assert not (tmp_path / CERTIFICATE_FILE).exists()
    request = x509.load_pem_x509_csr(created.request.read_bytes())
    assert request.is_signature_valid
    assert request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "ACME Payments segproof"
    assert request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ACME Payments Ltd"
    usage = request.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    key = load_private_key(created.key)
    assert request.public_key() == key.public_key()


def test_never_overwrites_existing_keys(tmp_path: Path) -> None:
    create_key_files(tmp_path, SUBJECT, NOW)
    original = (tmp_path / KEY_FILE).read_bytes()
    with pytest.raises(KeyFilesExist, match=r"signing\.key: already exists"):
        create_key_files(tmp_path, SUBJECT, NOW)
    assert (tmp_path / KEY_FILE).read_bytes() == original


def test_an_encrypted_key_needs_its_password(tmp_path: Path) -> None:
    created = create_key_files(tmp_path, SUBJECT, NOW, password=b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in created.key.read_bytes()
    assert isinstance(load_private_key(created.key, b"correct horse"), ec.EllipticCurvePrivateKey)
    with pytest.raises(WrongPassword, match="incorrect password"):
        load_private_key(created.key, b"battery staple")
    with pytest.raises(WrongPassword, match="no password was given"):
        load_private_key(created.key)


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    first = create_key_files(tmp_path / "first", SUBJECT, NOW)
    second = create_key_files(tmp_path / "second", SUBJECT, NOW)
    with pytest.raises(KeyCertificateMismatch, match="certificate is for another key") as caught:
        load_signer(first.key, second.certificate, NOW)
    assert caught.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize(("now", "message"), [
    ("2029-11-26T05:00:01Z", "certificate expired at 2029-11-25T05:00:00Z"),
    ("2026-11-26T04:59:59Z", "certificate is not valid before 2026-11-26T05:00:00Z"),
])
def test_a_certificate_outside_its_validity_is_refused(tmp_path: Path, now: str, message: str) -> None:
    created = create_key_files(tmp_path, SUBJECT, NOW)
    with pytest.raises(CertificateNotValid, match=message):
        load_signer(created.key, created.certificate, now)


def test_files_that_hold_no_key_or_certificate_are_named(tmp_path: Path) -> None:
    created = create_key_files(tmp_path, SUBJECT, NOW)
    with pytest.raises(NotAKey, match=r"signing\.crt: not a PEM private key"):
        load_private_key(created.certificate)
    with pytest.raises(NotACertificate, match=r"signing\.key: no X\.509 certificate"):
        load_certificate(created.key)
    with pytest.raises(NotAKey, match="cannot read"):
        load_private_key(tmp_path / "absent.key")
    rsa_key = tmp_path / "rsa.key"
    rsa_key.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(NotAKey, match="RSAPrivateKey keys are not supported"):
        load_private_key(rsa_key)


def test_a_certificate_file_may_carry_its_chain_in_pem_or_be_der(tmp_path: Path, ca_issued_signer: Signer,
                                                                  root_ca: Signer) -> None:
    key_path = tmp_path / KEY_FILE
    key_path.write_bytes(ca_issued_signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    chain_path = tmp_path / CERTIFICATE_FILE
    chain_path.write_bytes(b"".join(certificate.public_bytes(serialization.Encoding.PEM)
                                    for certificate in (ca_issued_signer.certificate, *ca_issued_signer.chain)))
    signer = load_signer(key_path, chain_path, NOW)
    assert (signer.certificate, signer.chain) == (ca_issued_signer.certificate, ca_issued_signer.chain)
    moment = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)
    assert chain_problem((signer.certificate, *signer.chain), (root_ca.certificate,), moment) == ""
    assert chain_problem((signer.certificate,), (root_ca.certificate,), moment) != ""
    der_path = tmp_path / "root.cer"
    der_path.write_bytes(root_ca.certificate.public_bytes(serialization.Encoding.DER))
    assert load_certificate(der_path) == root_ca.certificate
    manifest = b'{"format": "segproof.pack/v1"}\n'
    signature = verify_envelope(sign_envelope(manifest, signer), manifest)
    assert signature.certificates == (signer.certificate, *signer.chain)


@pytest.mark.parametrize("subject", ["O=ACME Payments Ltd", "not a name", ""])
def test_a_subject_needs_a_common_name(tmp_path: Path, subject: str) -> None:
    with pytest.raises(InvalidValue, match="not an RFC 4514 name with a CN"):
        create_key_files(tmp_path, subject, NOW)
    assert not (tmp_path / KEY_FILE).exists()
