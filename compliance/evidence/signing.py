"""DSSE v1 envelopes (`manifest.sig`): an ECDSA P-256/SHA-256 signature over the exact bytes of manifest.json.

Envelope: `{"payloadType": "application/vnd.segproof.manifest+json", "payload": base64(manifest.json),
"signatures": [{"keyid": hex SHA-256 of the signer's DER SubjectPublicKeyInfo, "sig": base64 of the DER ECDSA
signature over PAE(payloadType, payload), "cert": PEM of the signer's certificate then its intermediates,
"timestamp": base64 of a DER RFC 3161 token over the signature value `sig`, when a timestamping authority stamped
it}]}`. Any DSSE implementation verifies it with the
public key in `cert`; `cert` and `timestamp` are extensions DSSE allows. Whether the signer is trusted is decided
by the caller (`trust.chain_problem`), after the signature itself verified.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from compliance.errors import InvalidEnvelope
from compliance.evidence.keys import Signer, public_key_der
from compliance.evidence.manifest import MANIFEST_FILE, SIGNATURE_FILE, canonical_json, sha256_hex

PAYLOAD_TYPE = "application/vnd.segproof.manifest+json"


@dataclass(frozen=True)
class EnvelopeSignature:
    """A signature of an envelope that verifies: the signer's certificates (leaf first), its value and timestamp."""

    certificates: tuple[x509.Certificate, ...]
    value: bytes
    timestamp: bytes | None

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate."""
        return self.certificates[0]


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding: `DSSEv1 <len type> <type> <len body> <body>`, lengths in bytes."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The key id of a public key: the hex SHA-256 of its DER SubjectPublicKeyInfo."""
    return sha256_hex(public_key_der(public_key))


def sign_envelope(payload: bytes, signer: Signer, payload_type: str = PAYLOAD_TYPE,
                  timestamper: Callable[[bytes], bytes] | None = None) -> bytes:
    """The canonical bytes of a DSSE envelope holding `payload` and one signature by `signer`.

    `timestamper`, when given, returns an RFC 3161 token over the signature value (`timestamps.request_timestamp`).
    """
    signature = signer.private_key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    certificates = (signer.certificate, *signer.chain)
    entry = {
        "keyid": key_id(signer.private_key.public_key()),
        "sig": base64.b64encode(signature).decode("ascii"),
        "cert": "".join(certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
                        for certificate in certificates),
    }
    if timestamper is not None:
        entry["timestamp"] = base64.b64encode(timestamper(signature)).decode("ascii")
    envelope = {"payloadType": payload_type, "payload": base64.b64encode(payload).decode("ascii"),
                "signatures": [entry]}
    return canonical_json(envelope)


def verify_envelope(envelope: bytes, payload: bytes, *, payload_type: str = PAYLOAD_TYPE, name: str = SIGNATURE_FILE,
                    payload_name: str = MANIFEST_FILE) -> EnvelopeSignature:
    """The first signature of `envelope` that signs exactly `payload`; an InvalidEnvelope says why none does."""
    document = envelope_document(envelope, name)
    if document.get("payloadType") != payload_type:
        raise InvalidEnvelope(f"{name}: payloadType is {document.get('payloadType')!r}, expected {payload_type!r}")
    if decode_base64(document.get("payload")) != payload:
        raise InvalidEnvelope(f"{name}: the signed payload is not the content of {payload_name}")
    signatures = document.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise InvalidEnvelope(f"{name}: no signatures")
    message = pae(payload_type, payload)
    reasons = []
    for index, entry in enumerate(signatures, 1):
        signature, reason = checked_signature(entry, message)
        if signature is not None:
            return signature
        reasons.append(f"signature {index}: {reason}" if len(signatures) > 1 else reason)
    raise InvalidEnvelope(f"{name}: {'; '.join(reasons)}")


def envelope_document(envelope: bytes, name: str) -> dict[str, Any]:
    """The JSON object of an envelope."""
    try:
        document = json.loads(envelope.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidEnvelope(f"{name}: not a DSSE envelope (invalid JSON)") from None
    if not isinstance(document, dict):
        raise InvalidEnvelope(f"{name}: not a DSSE envelope (not a JSON object)")
    return document


def checked_signature(entry: Any, message: bytes) -> tuple[EnvelopeSignature | None, str]:
    """One signature entry if it verifies `message`, else None and why not."""
    if not isinstance(entry, dict) or not isinstance(entry.get("cert"), str):
        return None, "no signer certificate (field 'cert')"
    try:
        certificates = tuple(x509.load_pem_x509_certificates(entry["cert"].encode("ascii")))
    except (UnicodeEncodeError, ValueError):
        return None, "the signer certificate (field 'cert') is not PEM"
    public_key = certificates[0].public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return None, "the signer certificate does not hold an ECDSA key"
    if "keyid" in entry and entry["keyid"] != key_id(public_key):
        return None, "keyid does not match the signer certificate's key"
    signature = decode_base64(entry.get("sig")) or b""
    try:
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, UnsupportedAlgorithm):
        return None, "the signature does not verify with the signer certificate's key"
    timestamp = entry.get("timestamp")
    token = decode_base64(timestamp) if timestamp is not None else None
    if timestamp is not None and not token:
        return None, "the timestamp (field 'timestamp') is not base64"
    return EnvelopeSignature(certificates, signature, token), ""


def decode_base64(value: Any) -> bytes | None:
    """The bytes a standard base64 string encodes, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
