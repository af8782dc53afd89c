"""The pack manifest: canonical bytes, a pack id anyone can recompute, strict parsing."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from compliance.errors import EXIT_VERIFICATION_FAILED, InvalidPackManifest, PackContentError
from compliance.evidence.manifest import (
    FileEntry,
    Manifest,
    PackLink,
    build_manifest,
    expected_pack_id,
    file_entry,
    manifest_bytes,
    parse_manifest,
)

from .builders import CREATED_AT

INPUTS = {"snapshot": {"source": "cluster", "sha256": "ab" * 32}, "scope_sha256": "cd" * 32,
          "frameworks": ["pci-dss-4.0.1"], "git_commit": None, "organization": "ACME Zahlungen GmbH"}
PREVIOUS = PackLink("20260929T120000Z-0123456789ab", "ef" * 32)


def entries() -> list[FileEntry]:
    return [file_entry("report.pdf", b"%PDF-1.7\n"), file_entry("data/findings.csv", b"a,b\n1,2\n"),
            file_entry("scope.yaml", b"kind: Scope\n")]


def test_the_same_inputs_give_the_same_bytes() -> None:
    first = manifest_bytes(build_manifest(entries(), CREATED_AT, INPUTS, PREVIOUS))
    second = manifest_bytes(build_manifest(reversed(entries()), "2026-09-30T14:00:00+02:00",
                                           dict(reversed(INPUTS.items())), PREVIOUS))
    assert first == second
    assert first.endswith(b"}\n") and first.count(b"\n") == len(first.decode().splitlines())
    document = json.loads(first)
    assert list(document) == sorted(document)
    assert [entry["path"] for entry in document["files"]] == ["data/findings.csv", "report.pdf", "scope.yaml"]
    assert b"ACME Zahlungen GmbH" in first


def test_the_canonical_form_is_sorted_indented_json_with_a_trailing_newline() -> None:
    manifest = Manifest("20260930T120000Z-1a2b3c4d5e6f", CREATED_AT, {"frameworks": ["pci-dss-4.0.1"]}, None,
                        (FileEntry("data/findings.csv", "0" * 64, 8),), "0.1.0")
    assert manifest_bytes(manifest).decode() == """{
  "created_at": "2026-09-30T12:00:00Z",
  "files": [
    {
      "path": "data/findings.csv",
      "sha256": "0000000000000000000000000000000000000000000000000000000000000000",
      "size": 8
    }
  ],
  "format": "segproof.pack/v1",
  "inputs": {
    "frameworks": [
      "pci-dss-4.0.1"
    ]
  },
  "pack_id": "20260930T120000Z-1a2b3c4d5e6f",
  "previous": null,
  "tool": {
    "name": "segproof",
    "version": "0.1.0"
  }
}
"""


def test_the_pack_id_is_the_time_and_a_hash_of_the_content_but_the_report() -> None:
    manifest = build_manifest(entries(), CREATED_AT, INPUTS, PREVIOUS)
    assert manifest.pack_id.startswith("20260930T120000Z-") and len(manifest.pack_id) == 29
    assert expected_pack_id(manifest) == manifest.pack_id
    # Known before the pack joins a ledger, and before the report that shows it is rendered.
    assert build_manifest(entries(), CREATED_AT, INPUTS, None).pack_id == manifest.pack_id
    other_report = [file_entry("report.pdf", b"%PDF-1.7 other"), *entries()[1:]]
    assert build_manifest(other_report, CREATED_AT, INPUTS, PREVIOUS).pack_id == manifest.pack_id
    changed = [*entries()[:2], file_entry("scope.yaml", b"kind: Scope # changed\n")]
    assert build_manifest(changed, CREATED_AT, INPUTS, PREVIOUS).pack_id != manifest.pack_id
    assert expected_pack_id(replace(manifest, inputs={})) != manifest.pack_id


def test_parsing_gives_back_the_manifest() -> None:
    manifest = build_manifest(entries(), CREATED_AT, INPUTS, PREVIOUS)
    assert parse_manifest(manifest_bytes(manifest)) == manifest
    assert parse_manifest(manifest_bytes(replace(manifest, previous=None))).previous is None


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "data//x.csv", "./report.pdf", "data/",
                                  "manifest.json", "manifest.sig", "data\\x.csv", "a\nb"])
def test_paths_that_could_escape_or_shadow_the_pack_are_refused(path: str) -> None:
    with pytest.raises(PackContentError):
        file_entry(path, b"")


def test_a_path_listed_twice_or_inputs_that_are_not_json_are_refused() -> None:
    with pytest.raises(PackContentError, match="listed twice"):
        build_manifest([*entries(), file_entry("scope.yaml", b"")], CREATED_AT, INPUTS, None)
    with pytest.raises(PackContentError, match="inputs: not representable as JSON"):
        build_manifest(entries(), CREATED_AT, {"when": object()}, None)
    with pytest.raises(PackContentError, match="inputs: not representable as JSON"):
        build_manifest(entries(), CREATED_AT, {"ratio": float("nan")}, None)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(format="segproof.pack/v2"), "format: expected 'segproof.pack/v1'"),
    (lambda d: d.update(pack_id="latest"), "pack_id: 'latest' is not a segproof pack id"),
    (lambda d: d.update(created_at="2026-09-30 12:00"), "created_at: .* is not a canonical RFC 3339 UTC time"),
    (lambda d: d.update(created_at="yesterday"), "created_at: .* is not a canonical RFC 3339 UTC time"),
    (lambda d: d["files"].reverse(), "files: paths must be unique and sorted"),
    (lambda d: d["files"][0].update(sha256="ABC"), r"files\[0\]\.sha256: not a lowercase hex SHA-256"),
    (lambda d: d["files"][1].update(size=True), r"files\[1\]\.size: not a byte count"),
    (lambda d: d["files"][2].update(path="../x"), r"files\[2\]\.path: .* must be a relative path"),
    (lambda d: d.update(previous={"pack_id": "x"}), "previous: expected null or"),
    (lambda d: d.update(tool={"name": "other"}), "tool: expected"),
])
def test_parsing_names_the_field_that_is_wrong(edit, message: str) -> None:
    document = json.loads(manifest_bytes(build_manifest(entries(), CREATED_AT, INPUTS, PREVIOUS)))
    edit(document)
    with pytest.raises(InvalidPackManifest, match=message) as caught:
        parse_manifest(json.dumps(document).encode())
    assert caught.value.exit_code == EXIT_VERIFICATION_FAILED


@pytest.mark.parametrize("data", [b"", b"\xff", b"[]", b"{"])
def test_what_is_not_a_json_object_is_not_a_manifest(data: bytes) -> None:
    with pytest.raises(InvalidPackManifest, match=r"manifest\.json: not"):
        parse_manifest(data)
