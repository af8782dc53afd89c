"""Writing packs: complete or absent, signed before hashing, never overwritten, zipped deterministically."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from compliance.errors import PackContentError, PackExists
from compliance.evidence.keys import Signer
from compliance.evidence.manifest import MANIFEST_FILE, SIGNATURE_FILE, parse_manifest, sha256_hex
from compliance.evidence.pack import STAGING_PREFIX, write_pack
from compliance.evidence.pdf_signing import validate_pdf
from compliance.evidence.signing import verify_envelope
from compliance.evidence.verify import Anchors, verify_pack

from .builders import CREATED_AT

INPUTS = {"snapshot": {"source": "manifests", "sha256": "ab" * 32}, "frameworks": ["pci-dss-4.0.1"]}


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith(STAGING_PREFIX))


def test_a_signed_pack_holds_the_files_the_manifest_and_its_signature(tmp_path: Path, pack_files: dict[str, bytes],
                                                                      signer: Signer) -> None:
    written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, inputs=INPUTS, signer=signer)
    pack = tmp_path / "pack"
    assert written.path == pack and written.zip_path is None
    stored = sorted(path.relative_to(pack).as_posix() for path in pack.rglob("*") if path.is_file())
    assert stored == sorted([*pack_files, MANIFEST_FILE, SIGNATURE_FILE])
    manifest_raw = (pack / MANIFEST_FILE).read_bytes()
    assert parse_manifest(manifest_raw) == written.manifest
    assert written.manifest_sha256 == sha256_hex(manifest_raw)
    assert written.manifest.inputs == INPUTS and written.manifest.created_at == CREATED_AT
    signed_pdf = (pack / "report.pdf").read_bytes()
    assert signed_pdf != pack_files["report.pdf"] and signed_pdf.startswith(pack_files["report.pdf"])
    assert validate_pdf(signed_pdf, (signer.certificate,)).ok
    listed = {entry.path: entry.sha256 for entry in written.manifest.files}
    assert listed["report.pdf"] == sha256_hex(signed_pdf)
    assert listed["data/findings.csv"] == sha256_hex(pack_files["data/findings.csv"])
    assert verify_envelope((pack / SIGNATURE_FILE).read_bytes(), manifest_raw).certificate == signer.certificate
    assert not any(b"PRIVATE KEY" in path.read_bytes() for path in pack.rglob("*") if path.is_file())
    assert leftovers(tmp_path) == []
    (tmp_path / "plain").mkdir()
    assert pack.stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_an_unsigned_pack_keeps_the_pdf_as_given(tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    written = write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT)
    assert not (written.path / SIGNATURE_FILE).exists()
    assert (written.path / "report.pdf").read_bytes() == pack_files["report.pdf"]
    assert written.manifest.inputs == {} and written.manifest.previous is None


def test_an_existing_pack_or_zip_is_never_overwritten(tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT)
    before = (tmp_path / "pack" / MANIFEST_FILE).read_bytes()
    with pytest.raises(PackExists, match="already exists"):
        write_pack(tmp_path / "pack", {**pack_files, "other.csv": b"x\n"}, created_at=CREATED_AT)
    assert (tmp_path / "pack" / MANIFEST_FILE).read_bytes() == before
    (tmp_path / "second.zip").write_bytes(b"not ours")
    with pytest.raises(PackExists, match=r"second\.zip: already exists"):
        write_pack(tmp_path / "second", pack_files, created_at=CREATED_AT, make_zip=True)
    assert not (tmp_path / "second").exists() and leftovers(tmp_path) == []


def test_a_failure_mid_write_leaves_no_pack_and_no_staging(tmp_path: Path, pack_files: dict[str, bytes],
                                                           signer: Signer) -> None:
    written: list[str] = []

    def fail_after_two_files(path: str) -> None:
        written.append(path)
        if len(written) == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT, signer=signer, make_zip=True,
                   progress=fail_after_two_files)
    assert written == ["data/controls.csv", "data/findings.csv"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [".segproof-lock"]


CRASHING_WRITER = """
import os, sys
from compliance.evidence.pack import write_pack

def die(path):
    if path == "data/findings.csv":
        os._exit(17)  # like a killed process: no exception handling, no cleanup

write_pack(sys.argv[1], {"data/controls.csv": b"1\\n", "data/findings.csv": b"2\\n", "report.pdf": b"%PDF",
                        "scope.yaml": b"", "snapshot.json": b"{}"}, created_at="2026-09-30T12:00:00Z", progress=die)
"""


def test_a_crash_leaves_nothing_verify_accepts_and_the_next_write_cleans_up(tmp_path: Path,
                                                                             pack_files: dict[str, bytes]) -> None:
    crashed = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path / "pack")], check=False,
                             cwd=Path(__file__).parents[2], timeout=60)
    assert crashed.returncode == 17
    assert not (tmp_path / "pack").exists()
    [staging] = leftovers(tmp_path)
    assert not (tmp_path / staging / MANIFEST_FILE).exists()
    assert not verify_pack(tmp_path / staging).ok
    write_pack(tmp_path / "pack", pack_files, created_at=CREATED_AT)
    assert leftovers(tmp_path) == []
    assert verify_pack(tmp_path / "pack").ok


def test_the_zip_is_deterministic_and_verifies(tmp_path: Path, pack_files: dict[str, bytes], signer: Signer) -> None:
    first = write_pack(tmp_path / "a" / "pack", pack_files, created_at=CREATED_AT, make_zip=True)
    second = write_pack(tmp_path / "b" / "pack", dict(reversed(pack_files.items())), created_at=CREATED_AT,
                        make_zip=True)
    assert first.zip_path == tmp_path / "a" / "pack.zip"
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    with zipfile.ZipFile(first.zip_path) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(f"pack/{name}" for name in [*pack_files, MANIFEST_FILE])
    assert {info.date_time for info in infos} == {(2026, 9, 30, 12, 0, 0)}
    signed = write_pack(tmp_path / "c" / "pack", pack_files, created_at=CREATED_AT, signer=signer, make_zip=True)
    report = verify_pack(signed.zip_path, Anchors((signer.certificate,)))
    assert report.ok and report.signed and report.pack_id == signed.manifest.pack_id
    assert report.files == len(pack_files)


@pytest.mark.parametrize(("files", "message"), [
    ({"keys/signing.key": b"-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"}, "contains a private key"),
    ({"notes.txt": b"-----BEGIN EC PRIVATE KEY-----\n"}, "contains a private key"),
    ({"../escape.csv": b""}, "must be a relative path"),
    ({"manifest.json": b"{}"}, "is reserved"),
    ({"data.csv": "text, not bytes"}, "content must be bytes"),
])
def test_contents_that_must_not_go_into_a_pack_are_refused(tmp_path: Path, files: dict, message: str) -> None:
    with pytest.raises(PackContentError, match=message):
        write_pack(tmp_path / "pack", files, created_at=CREATED_AT)
    assert not (tmp_path / "pack").exists()


def test_a_pack_without_every_required_file_is_refused(tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    incomplete = {name: data for name, data in pack_files.items() if name != "report.pdf"}
    with pytest.raises(PackContentError, match=r"report\.pdf: missing: every pack holds data/controls\.csv, "):
        write_pack(tmp_path / "pack", incomplete, created_at=CREATED_AT)
    assert not (tmp_path / "pack").exists()


def test_inputs_and_previous_are_recorded(tmp_path: Path, pack_files: dict[str, bytes]) -> None:
    first = write_pack(tmp_path / "one", pack_files, created_at=CREATED_AT, inputs=INPUTS)
    second = write_pack(tmp_path / "two", {**pack_files, "a.csv": b"2\n"}, created_at="2026-10-01T12:00:00Z",
                        previous=first.link)
    document = json.loads((second.path / MANIFEST_FILE).read_bytes())
    assert document["previous"] == {"pack_id": first.manifest.pack_id, "manifest_sha256": first.manifest_sha256}
