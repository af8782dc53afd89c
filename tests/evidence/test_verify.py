"""Verifying packs: every mismatch named, never stopping at the first; directories and zips alike."""

from __future__ import annotations

import base64
import datetime
import json
import zipfile
from pathlib import Path

import pytest

from compliance.errors import InvalidValue, VerificationFailed
from compliance.evidence.keys import Signer
from compliance.evidence.manifest import MANIFEST_FILE, SIGNATURE_FILE, manifest_bytes, parse_manifest, sha256_hex
from compliance.evidence.pack import WrittenPack, write_pack
from compliance.evidence.signing import sign_envelope
from compliance.evidence.timestamps import request_timestamp
from compliance.evidence.trust import described, fingerprint
from compliance.evidence.verify import Anchors, verify_pack
from compliance.times import parse_utc
from tests.support.tsa import TimestampAuthority

from .builders import CREATED_AT, issued, self_signed_signer


@pytest.fixture
def signed_pack(tmp_path: Path, pack_files: dict[str, bytes], signer: Signer) -> WrittenPack:
    return write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=signer, make_zip=True)


def trusting(signer: Signer) -> Anchors:
    return Anchors((signer.certificate,))


def rewritten_zip(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of a zipped pack with some members replaced (or dropped, for None) and others added."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            if info.filename not in change:
                copy.writestr(info, original.read(info))
        for name, data in change.items():
            if data is not None:
                copy.writestr(name, data)
    return target


def test_an_intact_signed_pack_verifies(signed_pack: WrittenPack, signer: Signer) -> None:
    report = verify_pack(signed_pack.path, trusting(signer))
    assert report.ok, report.problems
    assert (report.pack_id, report.created_at, report.files) == (signed_pack.manifest.pack_id, CREATED_AT, 5)
    assert report.signed and report.trust_checked and not report.chain_checked
    assert report.signer == "CN=ACME Payments segproof,O=ACME Payments Ltd"
    assert verify_pack(signed_pack.path).ok


def test_every_tampered_missing_or_extra_file_is_named(signed_pack: WrittenPack, signer: Signer) -> None:
    pack = signed_pack.path
    (pack / "data" / "findings.csv").write_bytes(b"control,object,status\n1.3.2,payments/api,fail\n")
    (pack / "scope.yaml").unlink()
    (pack / "data" / "extra.csv").write_bytes(b"planted\n")
    report = verify_pack(pack, trusting(signer))
    assert report.problems == (
        "data/findings.csv: sha256 mismatch",
        "scope.yaml: listed in the manifest but missing",
        "data/extra.csv: present but not listed in the manifest",
    )
    assert report.signed and not report.ok
    failure = VerificationFailed(str(pack), report.problems)
    assert (failure.message, failure.exit_code) == (f"{pack}: verification failed (3 problems)", 4)


def test_a_size_change_is_reported_with_the_sizes(signed_pack: WrittenPack) -> None:
    (signed_pack.path / "snapshot.json").write_bytes(b"{}\n")
    assert verify_pack(signed_pack.path).problems == ("snapshot.json: sha256 mismatch (size 3, manifest says 35)",)


def test_a_manifest_edited_to_hide_a_change_fails_its_signature(signed_pack: WrittenPack, signer: Signer) -> None:
    pack = signed_pack.path
    (pack / "data" / "findings.csv").write_bytes(b"forged\n")
    document = json.loads((pack / MANIFEST_FILE).read_bytes())
    document["files"] = [entry for entry in document["files"] if entry["path"] != "data/findings.csv"]
    document["files"].append({"path": "data/findings.csv", "sha256": sha256_hex(b"forged\n"), "size": 7})
    document["files"].sort(key=lambda entry: entry["path"])
    (pack / MANIFEST_FILE).write_bytes(json.dumps(document).encode())
    report = verify_pack(pack, trusting(signer))
    assert report.problems == (
        "manifest.json: pack_id " + signed_pack.manifest.pack_id + " does not match the manifest's content",
        "manifest.sig: the signed payload is not the content of manifest.json",
    )


def test_a_pack_re_signed_by_someone_else_fails_trust(signed_pack: WrittenPack, signer: Signer,
                                                      other_signer: Signer, report_pdf: bytes) -> None:
    pack = signed_pack.path
    (pack / SIGNATURE_FILE).write_bytes(sign_envelope((pack / MANIFEST_FILE).read_bytes(), other_signer))
    report = verify_pack(pack, trusting(signer))
    mismatch = (f"report.pdf: signed by {described(signer.certificate)}, but manifest.sig by "
                f"{described(other_signer.certificate)}")
    assert report.problems == (
        f"manifest.sig: the signer certificate {described(other_signer.certificate)} does not chain to a trusted "
        "certificate: it is self-signed, and not a trusted certificate itself", mismatch)
    assert report.signer == "CN=Mallory,O=Elsewhere" and not report.trusted
    assert verify_pack(pack).problems == (mismatch,)


def test_an_unsigned_pack_verifies_its_hashes_and_says_it_is_unsigned(tmp_path: Path, pack_files: dict[str, bytes],
                                                                      signer: Signer) -> None:
    written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT)
    report = verify_pack(written.path)
    assert report.ok and not report.signed and report.signer == ""
    assert verify_pack(written.path, trusting(signer)).problems == (
        "manifest.sig: missing: the pack is unsigned, but a trusted certificate was given",)
    (written.path / "data" / "controls.csv").write_bytes(b"changed\n")
    assert verify_pack(written.path).problems == ("data/controls.csv: sha256 mismatch (size 8, manifest says 26)",)


def test_a_tampered_zipped_pack_is_named_too(signed_pack: WrittenPack, signer: Signer, tmp_path: Path) -> None:
    assert signed_pack.zip_path is not None
    assert verify_pack(signed_pack.zip_path, trusting(signer)).ok
    tampered = rewritten_zip(signed_pack.zip_path, tmp_path / "tampered.zip", {
        "pack/data/findings.csv": b"control,object,status\n1.3.2,payments/api,fail\n",
        "pack/scope.yaml": None,
        "pack/notes.txt": b"planted\n",
    })
    assert verify_pack(tampered, trusting(signer)).problems == (
        "data/findings.csv: sha256 mismatch",
        "scope.yaml: listed in the manifest but missing",
        "notes.txt: present but not listed in the manifest",
    )


def test_a_flipped_pdf_byte_is_named_by_hash_and_by_signature(signed_pack: WrittenPack, signer: Signer) -> None:
    pdf_path = signed_pack.path / "report.pdf"
    pdf = bytearray(pdf_path.read_bytes())
    position = pdf.index(b"stream\n") + len(b"stream\n") + 20
    pdf[position] ^= 0x01
    pdf_path.write_bytes(bytes(pdf))
    assert verify_pack(signed_pack.path, trusting(signer)).problems == (
        "report.pdf: sha256 mismatch",
        "report.pdf: signed content changed: the digest does not match the signature",
    )


def test_a_missing_or_broken_manifest_is_named(signed_pack: WrittenPack) -> None:
    manifest = parse_manifest((signed_pack.path / MANIFEST_FILE).read_bytes())
    (signed_pack.path / MANIFEST_FILE).write_bytes(manifest_bytes(manifest)[:-10])
    assert verify_pack(signed_pack.path).problems[0].startswith("manifest.json: not JSON")
    (signed_pack.path / MANIFEST_FILE).unlink()
    assert verify_pack(signed_pack.path).problems == ("manifest.json: missing",)


def test_what_is_not_a_pack_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match="no such pack"):
        verify_pack(tmp_path / "absent")
    (tmp_path / "file.zip").write_bytes(b"not a zip")
    [problem] = verify_pack(tmp_path / "file.zip").problems
    assert "not a readable pack directory or zip" in problem


def test_a_signer_minted_by_an_end_entity_certificate_is_not_trusted(tmp_path: Path, pack_files: dict[str, bytes],
                                                                     root_ca: Signer) -> None:
    # CA -> an end-entity certificate (CA:false) -> a certificate it issued, signing a pack without its report.
    end_entity = issued("CN=Some Employee,O=ACME Payments Ltd", root_ca, ca=False)
    minted = issued("CN=ACME Payments segproof,O=ACME Payments Ltd", end_entity, ca=False)
    forger = Signer(minted.private_key, minted.certificate, (end_entity.certificate,))
    written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=forger)
    (written.path / "report.pdf").unlink()
    forged = manifest_without(written.path, "report.pdf")
    (written.path / SIGNATURE_FILE).write_bytes(sign_envelope(forged, forger))
    report = verify_pack(written.path, Anchors((root_ca.certificate,)))
    assert not report.trusted and report.signer == "CN=ACME Payments segproof,O=ACME Payments Ltd"
    assert any("does not chain to a trusted certificate" in p and "is not a CA" in p for p in report.problems)
    assert any(p.startswith("report.pdf: not in the pack, which is incomplete") for p in report.problems)


def manifest_without(pack: Path, name: str) -> bytes:
    """Rewrite the pack's manifest without the entry `name`, as a forger would; its new bytes."""
    document = json.loads((pack / MANIFEST_FILE).read_bytes())
    document["files"] = [entry for entry in document["files"] if entry["path"] != name]
    raw = json.dumps(document).encode()
    (pack / MANIFEST_FILE).write_bytes(raw)
    return raw


def test_a_pack_re_signed_with_a_copied_subject_never_passes_as_genuine(signed_pack: WrittenPack, signer: Signer,
                                                                        tmp_path: Path) -> None:
    pack = signed_pack.path
    (pack / "data" / "controls.csv").write_bytes(b"control,status\n1.3.2,pass\n")
    impostor = self_signed_signer(signer.certificate.subject.rfc4514_string())
    raw = (pack / MANIFEST_FILE).read_bytes()
    document = json.loads(raw)
    for entry in document["files"]:
        if entry["path"] == "data/controls.csv":
            entry.update(sha256=sha256_hex(b"control,status\n1.3.2,pass\n"), size=26)
    (pack / MANIFEST_FILE).write_bytes(json.dumps(document).encode())
    (pack / SIGNATURE_FILE).write_bytes(sign_envelope((pack / MANIFEST_FILE).read_bytes(), impostor))
    # Keeping the real report: it was signed by another key than the manifest.
    untrusted = verify_pack(pack)
    assert untrusted.signature is not None and untrusted.signature.fingerprint != fingerprint(signer.certificate)
    assert any(p.startswith("report.pdf: signed by") and "but manifest.sig by" in p for p in untrusted.problems)
    # Dropping the report: the pack is incomplete.
    (pack / "report.pdf").unlink()
    manifest_without(pack, "report.pdf")
    (pack / SIGNATURE_FILE).write_bytes(sign_envelope((pack / MANIFEST_FILE).read_bytes(), impostor))
    assert any("incomplete" in p for p in verify_pack(pack).problems)
    # With the real certificate as the trust anchor, the impostor is named and refused.
    trusted = verify_pack(pack, trusting(signer))
    assert trusted.signer == signer.certificate.subject.rfc4514_string() and not trusted.trusted


def test_removing_the_manifest_signature_of_a_signed_pack_fails(signed_pack: WrittenPack, signer: Signer) -> None:
    (signed_pack.path / SIGNATURE_FILE).unlink()
    report = verify_pack(signed_pack.path)
    assert report.problems == (f"report.pdf: signed by {described(signer.certificate)}, but the pack has no "
                               "manifest.sig: its manifest signature was removed",)


EXPIRING_START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
AFTER_EXPIRY = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def expiring_signer() -> Signer:
    """A signer whose certificate (CA-issued) is valid for 2026 and 2027 only."""
    root = issued("CN=ACME Root CA,O=ACME Payments Ltd", None, ca=True)
    leaf = issued("CN=ACME Payments segproof,O=ACME Payments Ltd", root, ca=False, start=EXPIRING_START, days=730)
    return Signer(leaf.private_key, leaf.certificate, (root.certificate,))


def test_a_timestamped_pack_verifies_after_its_signer_certificate_expires(tmp_path: Path,
                                                                          pack_files: dict[str, bytes],
                                                                          expiring_signer: Signer) -> None:
    root = expiring_signer.chain[0]
    with TimestampAuthority(stamp_time=parse_utc(CREATED_AT)) as tsa:
        written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=expiring_signer,
                             timestamper=lambda data: request_timestamp(tsa.url, data))
        anchors = Anchors((root,), (tsa.root,))
        report = verify_pack(written.path, anchors, at=AFTER_EXPIRY)
        assert report.ok and report.trusted, report.problems
        assert report.signature.timestamp == parse_utc(CREATED_AT) and report.signature.timestamp_trusted
        assert report.signature.timestamp_authority == "CN=Test TSA"
        # Without the authority's root, the timestamp cannot date the signature: the expired signer fails.
        problem, pdf_problem = verify_pack(written.path, Anchors((root,)), at=AFTER_EXPIRY).problems
        assert pdf_problem == "report.pdf: signer certificate expired at 2028-01-01T00:00:00Z"
        assert problem == ("manifest.sig: signer certificate expired at 2028-01-01T00:00:00Z; checked at "
                           "2031-01-01T00:00:00Z: the signature's timestamp is not trusted (pass the authority's "
                           "root with --tsa-trust), so it cannot be dated")


def test_without_a_timestamp_an_expired_signer_cannot_be_dated(tmp_path: Path, pack_files: dict[str, bytes],
                                                               expiring_signer: Signer) -> None:
    written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=expiring_signer)
    anchors = Anchors(expiring_signer.chain)
    assert verify_pack(written.path, anchors, at=parse_utc(CREATED_AT)).trusted
    problems = verify_pack(written.path, anchors, at=AFTER_EXPIRY).problems
    assert problems[0] == ("manifest.sig: signer certificate expired at 2028-01-01T00:00:00Z; checked at "
                           "2031-01-01T00:00:00Z: the signature carries no timestamp, so it cannot be dated to a "
                           "time the certificate was valid")


def test_a_tampered_timestamp_fails(tmp_path: Path, pack_files: dict[str, bytes], signer: Signer) -> None:
    with TimestampAuthority() as tsa:
        written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=signer,
                             timestamper=lambda data: request_timestamp(tsa.url, data))
        envelope = json.loads((written.path / SIGNATURE_FILE).read_bytes())
        token = bytearray(base64.b64decode(envelope["signatures"][0]["timestamp"]))
        token[-20] ^= 0x01
        envelope["signatures"][0]["timestamp"] = base64.b64encode(bytes(token)).decode()
        (written.path / SIGNATURE_FILE).write_text(json.dumps(envelope))
        assert verify_pack(written.path, Anchors((signer.certificate,), (tsa.root,))).problems == (
            "manifest.sig: timestamp the TSA's signature over the token does not verify",)
