"""Signing keys and certificates: create an ECDSA P-256 key with a self-signed certificate or a CSR, load them back."""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import NameOID

from compliance.errors import (
    CertificateNotValid,
    InvalidValue,
    KeyCertificateMismatch,
    KeyFilesExist,
    NotACertificate,
    NotAKey,
    SigningMaterialError,
    WrongPassword,
)
from compliance.evidence.files import write_atomically
from compliance.evidence.trust import signing_problem
from compliance.times import parse_utc

KEY_FILE = "signing.key"
CERTIFICATE_FILE = "signing.crt"
REQUEST_FILE = "signing.csr"
DEFAULT_VALID_DAYS = 3 * 365
SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
)


@dataclass(frozen=True)
class Signer:
    """A private key with its certificate and the intermediate certificates that lead to a trust root."""

    private_key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class KeyFiles:
    """The files `create_key_files` wrote: the key and either a certificate or a signing request."""

    key: Path
    certificate: Path | None
    request: Path | None


def subject_name(subject: str) -> x509.Name:
    """The X.509 name an RFC 4514 string such as `CN=ACME Payments segproof,O=ACME Payments Ltd` spells."""
    try:
        name = x509.Name.from_rfc4514_string(subject)
    except ValueError:
        name = None
    if name is None or not name.get_attributes_for_oid(NameOID.COMMON_NAME):
        raise InvalidValue(f"subject {subject!r}: not an RFC 4514 name with a CN",
                         hint='e.g. "CN=ACME Payments segproof,O=ACME Payments Ltd"')
    return name


def self_signed_certificate(private_key: ec.EllipticCurvePrivateKey, subject: str, now: str,
                            valid_days: int = DEFAULT_VALID_DAYS) -> x509.Certificate:
    """A self-signed end-entity certificate for PAdES and manifest signatures, valid from `now` for `valid_days`."""
    name = subject_name(subject)
    start = parse_utc(now, "now").replace(microsecond=0)
    public_key = private_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
    )
    return builder.sign(private_key, hashes.SHA256())


def certificate_request(private_key: ec.EllipticCurvePrivateKey, subject: str) -> x509.CertificateSigningRequest:
    """A CSR asking an organisation's CA for a signing certificate (digitalSignature, nonRepudiation)."""
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject_name(subject))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_KEY_USAGE, critical=True)
    )
    return builder.sign(private_key, hashes.SHA256())


def create_key_files(directory: str | Path, subject: str, now: str, *, request: bool = False,
                     valid_days: int = DEFAULT_VALID_DAYS, password: bytes | None = None) -> KeyFiles:
    """Write a new P-256 key (PKCS#8 PEM, mode 0600) and a self-signed certificate, or a CSR when `request`."""
    folder = Path(directory)
    key_path = folder / KEY_FILE
    companion = folder / (REQUEST_FILE if request else CERTIFICATE_FILE)
    for path in (key_path, companion):
        if path.exists():
            raise KeyFilesExist(str(path), "already exists; keys are never overwritten",
                                hint="choose another --out directory or move the old keys away")
    private_key = ec.generate_private_key(ec.SECP256R1())
    if request:
        companion_pem = certificate_request(private_key, subject).public_bytes(serialization.Encoding.PEM)
    else:
        certificate = self_signed_certificate(private_key, subject, now, valid_days)
        companion_pem = certificate.public_bytes(serialization.Encoding.PEM)
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    key_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private_key(key_path, key_pem)
    write_atomically(companion, companion_pem)
    companion.chmod(0o644)
    return KeyFiles(key_path, None if request else companion, companion if request else None)


def write_private_key(path: Path, pem: bytes) -> None:
    """Write a key readable by its owner only, completely or not at all, and never over an existing file."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise KeyFilesExist(str(path), "already exists; keys are never overwritten") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def load_private_key(path: str | Path, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """The EC private key in a PEM file, decrypted with `password` when it is encrypted."""
    data = read_bytes(path, NotAKey)
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError:
        if password is None:
            raise WrongPassword(str(path), "the key is encrypted and no password was given") from None
        raise WrongPassword(str(path), "a password was given but the key is not encrypted") from None
    except ValueError:
        if password is not None and b"ENCRYPTED" in data:
            raise WrongPassword(str(path), "incorrect password for the encrypted key") from None
        raise NotAKey(str(path), "not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise NotAKey(str(path), f"{type(key).__name__.removeprefix('_')} keys are not supported; segproof signs "
                      "with ECDSA", hint="create a key with `segproof keys create`")
    return key


def load_certificates(path: str | Path) -> tuple[x509.Certificate, ...]:
    """The certificates in a PEM file (leaf first, then intermediates) or the one certificate of a DER file."""
    data = read_bytes(path, NotACertificate)
    try:
        if b"-----BEGIN" in data:
            return tuple(x509.load_pem_x509_certificates(data))
        return (x509.load_der_x509_certificate(data),)
    except ValueError:
        raise NotACertificate(str(path), "no X.509 certificate (PEM or DER) found") from None


def load_certificate(path: str | Path) -> x509.Certificate:
    """The first certificate in a file, such as the trust root given to `verify --trust`."""
    return load_certificates(path)[0]


def load_signer(key_path: str | Path, certificate_path: str | Path, now: str,
                password: bytes | None = None) -> Signer:
    """The key and certificate (chain) to sign packs with, checked to belong together and to be valid at `now`."""
    private_key = load_private_key(key_path, password)
    certificate, *chain = load_certificates(certificate_path)
    if public_key_der(certificate.public_key()) != public_key_der(private_key.public_key()):
        raise KeyCertificateMismatch(str(certificate_path), f"certificate is for another key than {key_path}")
    problem = signing_problem(certificate, parse_utc(now, "now"))
    if problem:
        raise CertificateNotValid(str(certificate_path), problem)
    return Signer(private_key, certificate, tuple(chain))


def public_key_der(public_key: PublicKeyTypes) -> bytes:
    """The DER SubjectPublicKeyInfo of a public key."""
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def read_bytes(path: str | Path, error: type[SigningMaterialError]) -> bytes:
    """The content of a key or certificate file, or an `error` naming it."""
    try:
        return Path(path).read_bytes()
    except OSError as problem:
        raise error(str(path), f"cannot read: {problem.strerror}") from None
