"""DSSE envelopes over manifest.json: the v1 structure and PAE, and every way verification must fail."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from compliance.errors import EXIT_VERIFICATION_FAILED, InvalidEnvelope
from compliance.evidence.keys import Signer
from compliance.evidence.signing import PAYLOAD_TYPE, key_id, pae, sign_envelope, verify_envelope

MANIFEST = b'{\n  "format": "segproof.pack/v1",\n  "pack_id": "20260930T120000Z-1a2b3c4d5e6f"\n}\n'


def edited(envelope: bytes, change) -> bytes:
    document = json.loads(envelope)
    change(document)
    return json.dumps(document).encode()


def test_pae_is_the_dsse_v1_encoding() -> None:
    # The example of the DSSE v1 protocol specification.
    assert pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    assert pae("t\u00e9", b"") == b"DSSEv1 3 t\xc3\xa9 0 "


def test_the_envelope_has_the_dsse_v1_shape_and_verifies_independently(signer: Signer) -> None:
    envelope = json.loads(sign_envelope(MANIFEST, signer))
    assert set(envelope) == {"payloadType", "payload", "signatures"}
    assert envelope["payloadType"] == PAYLOAD_TYPE == "application/vnd.segproof.manifest+json"
    assert base64.b64decode(envelope["payload"]) == MANIFEST
    [signature] = envelope["signatures"]
    assert set(signature) == {"keyid", "sig", "cert"}
    spki = signer.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    assert signature["keyid"] == hashlib.sha256(spki).hexdigest() == key_id(signer.private_key.public_key())
    assert signature["cert"] == signer.certificate.public_bytes(serialization.Encoding.PEM).decode()
    # Re-performed from the specification alone, as an auditor's own script would.
    message = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(MANIFEST), MANIFEST)
    signer.certificate.public_key().verify(base64.b64decode(signature["sig"]), message, ec.ECDSA(hashes.SHA256()))
    assert verify_envelope(sign_envelope(MANIFEST, signer), MANIFEST).certificate == signer.certificate


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_the_signature(signer: Signer, tmp_path: Path) -> None:
    signature = json.loads(sign_envelope(MANIFEST, signer))["signatures"][0]
    (tmp_path / "signer.pem").write_bytes(signer.certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / "pae.bin").write_bytes(pae(PAYLOAD_TYPE, MANIFEST))
    (tmp_path / "sig.der").write_bytes(base64.b64decode(signature["sig"]))
    result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "signer.pem", "-signature", "sig.der",
                             "pae.bin"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "Verified OK"


def test_a_changed_manifest_byte_fails(signer: Signer) -> None:
    envelope = sign_envelope(MANIFEST, signer)
    tampered = MANIFEST.replace(b"1a2b", b"1a2c")
    with pytest.raises(InvalidEnvelope, match=r"the signed payload is not the content of manifest\.json") as caught:
        verify_envelope(envelope, tampered)
    assert caught.value.exit_code == EXIT_VERIFICATION_FAILED
    resigned_payload = edited(envelope, lambda d: d.update(payload=base64.b64encode(tampered).decode()))
    with pytest.raises(InvalidEnvelope, match="the signature does not verify"):
        verify_envelope(resigned_payload, tampered)


def test_another_key_fails(signer: Signer, other_signer: Signer) -> None:
    envelope = sign_envelope(MANIFEST, signer)
    other_pem = other_signer.certificate.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(InvalidEnvelope, match="keyid does not match"):
        verify_envelope(edited(envelope, lambda d: d["signatures"][0].update(cert=other_pem)), MANIFEST)
    swapped = edited(envelope, lambda d: d["signatures"][0].update(
        cert=other_pem, keyid=key_id(other_signer.private_key.public_key())))
    with pytest.raises(InvalidEnvelope, match="the signature does not verify with the signer certificate's key"):
        verify_envelope(swapped, MANIFEST)


def test_a_swapped_payload_type_fails(signer: Signer) -> None:
    envelope = edited(sign_envelope(MANIFEST, signer), lambda d: d.update(payloadType="application/vnd.in-toto+json"))
    with pytest.raises(InvalidEnvelope, match=r"payloadType is 'application/vnd\.in-toto\+json'"):
        verify_envelope(envelope, MANIFEST)
    with pytest.raises(InvalidEnvelope, match="the signature does not verify"):
        verify_envelope(envelope, MANIFEST, payload_type="application/vnd.in-toto+json")


def test_a_timestamp_token_rides_in_the_signature_entry(signer: Signer) -> None:
    stamped: list[bytes] = []

    def timestamper(value: bytes) -> bytes:
        stamped.append(value)
        return b"token"

    envelope = sign_envelope(MANIFEST, signer, timestamper=timestamper)
    [entry] = json.loads(envelope)["signatures"]
    assert base64.b64decode(entry["timestamp"]) == b"token" and stamped == [base64.b64decode(entry["sig"])]
    signature = verify_envelope(envelope, MANIFEST)
    assert (signature.timestamp, signature.value) == (b"token", stamped[0])
    with pytest.raises(InvalidEnvelope, match=r"the timestamp \(field 'timestamp'\) is not base64"):
        verify_envelope(edited(envelope, lambda d: d["signatures"][0].update(timestamp="%%")), MANIFEST)


@pytest.mark.parametrize(("envelope", "message"), [
    (b"not json", r"not a DSSE envelope \(invalid JSON\)"),
    (b"[]", "not a JSON object"),
    (json.dumps({"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(MANIFEST).decode(),
                 "signatures": []}).encode(), "no signatures"),
    (json.dumps({"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(MANIFEST).decode(),
                 "signatures": [{"sig": ""}]}).encode(), r"no signer certificate \(field 'cert'\)"),
    (json.dumps({"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(MANIFEST).decode(),
                 "signatures": [{"sig": "", "cert": "junk"}]}).encode(), "is not PEM"),
    (json.dumps({"payloadType": PAYLOAD_TYPE, "payload": "%%%", "signatures": []}).encode(),
     "the signed payload is not the content"),
])
def test_malformed_envelopes_are_named(envelope: bytes, message: str) -> None:
    with pytest.raises(InvalidEnvelope, match=f"manifest.sig: .*{message}"):
        verify_envelope(envelope, MANIFEST)
