"""Verifying packs: every mismatch named, never stopping at the first; directories and zips alike."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from compliance.errors import UsageError
from compliance.evidence.errors import VerificationFailed
from compliance.evidence.keys import Signer
from compliance.evidence.manifest import MANIFEST_FILE, SIGNATURE_FILE, manifest_bytes, parse_manifest, sha256_hex
from compliance.evidence.pack import WrittenPack, write_pack
from compliance.evidence.signing import sign_envelope
from compliance.evidence.verify import verify_pack

from .builders import CREATED_AT


@pytest.fixture
def signed_pack(tmp_path: Path, pack_files: dict[str, bytes], signer: Signer) -> WrittenPack:
    return write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=signer, make_zip=True)


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
    report = verify_pack(signed_pack.path, signer.certificate)
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
    report = verify_pack(pack, signer.certificate)
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
    report = verify_pack(pack, signer.certificate)
    assert report.problems == (
        "manifest.json: pack_id " + signed_pack.manifest.pack_id + " does not match the manifest's content",
        "manifest.sig: the signed payload is not the content of manifest.json",
    )


def test_a_pack_re_signed_by_someone_else_fails_trust(signed_pack: WrittenPack, signer: Signer,
                                                      other_signer: Signer, report_pdf: bytes) -> None:
    pack = signed_pack.path
    (pack / SIGNATURE_FILE).write_bytes(sign_envelope((pack / MANIFEST_FILE).read_bytes(), other_signer))
    report = verify_pack(pack, signer.certificate)
    assert report.problems == ("manifest.sig: the signer certificate (CN=Mallory,O=Elsewhere) is not the trusted "
                               "certificate nor issued by it",)
    untrusted = verify_pack(pack)
    assert untrusted.problems == ("report.pdf: signed by CN=ACME Payments segproof,O=ACME Payments Ltd, but "
                                  "manifest.sig by CN=Mallory,O=Elsewhere",)


def test_an_unsigned_pack_verifies_its_hashes_and_says_it_is_unsigned(tmp_path: Path, pack_files: dict[str, bytes],
                                                                      signer: Signer) -> None:
    written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT)
    report = verify_pack(written.path)
    assert report.ok and not report.signed and report.signer == ""
    assert verify_pack(written.path, signer.certificate).problems == (
        "manifest.sig: missing: the pack is unsigned, but a trusted certificate was given",)
    (written.path / "data" / "controls.csv").write_bytes(b"changed\n")
    assert verify_pack(written.path).problems == ("data/controls.csv: sha256 mismatch (size 8, manifest says 26)",)


def test_a_tampered_zipped_pack_is_named_too(signed_pack: WrittenPack, signer: Signer, tmp_path: Path) -> None:
    assert signed_pack.zip_path is not None
    assert verify_pack(signed_pack.zip_path, signer.certificate).ok
    tampered = rewritten_zip(signed_pack.zip_path, tmp_path / "tampered.zip", {
        "pack/data/findings.csv": b"control,object,status\n1.3.2,payments/api,fail\n",
        "pack/scope.yaml": None,
        "pack/notes.txt": b"planted\n",
    })
    assert verify_pack(tampered, signer.certificate).problems == (
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
    assert verify_pack(signed_pack.path, signer.certificate).problems == (
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
    with pytest.raises(UsageError, match="no such pack"):
        verify_pack(tmp_path / "absent")
    (tmp_path / "file.zip").write_bytes(b"not a zip")
    [problem] = verify_pack(tmp_path / "file.zip").problems
    assert "not a readable pack directory or zip" in problem
