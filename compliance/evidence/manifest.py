"""The pack manifest (`manifest.json`, `segproof.pack/v1`): what a pack holds, from which inputs, after which pack.

The bytes are canonical: keys sorted, two-space indentation, `", "`/`": "` separators, UTF-8, one trailing newline;
the same pack content always gives the same bytes. The pack id is `<created_at as YYYYMMDDTHHMMSSZ>-<12 hex>`, the
hex being the start of the SHA-256 of the canonical manifest without its `pack_id`, its `previous` link and the
report PDF's entry: it sorts by time, anyone can recompute it from the manifest, and the report can show it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compliance import __version__
from compliance.errors import InvalidPackManifest, InvalidValue, PackContentError
from compliance.times import canonical_utc, compact_utc

MANIFEST_FORMAT = "segproof.pack/v1"
MANIFEST_FILE = "manifest.json"
REPORT_PDF = "report.pdf"
SIGNATURE_FILE = "manifest.sig"
SNAPSHOT_FILE = "snapshot.json"
SCOPE_FILE = "scope.yaml"
CONTROLS_CSV = "data/controls.csv"
FINDINGS_CSV = "data/findings.csv"
# What every pack holds: the report, the results re-performance compares, and the inputs it re-performs from.
REQUIRED_FILES = (CONTROLS_CSV, FINDINGS_CSV, REPORT_PDF, SCOPE_FILE, SNAPSHOT_FILE)
TOOL_NAME = "segproof"
PACK_ID_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileEntry:
    """One file of a pack: its path relative to the pack, SHA-256 (hex) and size in bytes."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class PackLink:
    """A reference to another pack: its id and the SHA-256 of its manifest.json bytes."""

    pack_id: str
    manifest_sha256: str


@dataclass(frozen=True)
class Manifest:
    """The content of manifest.json."""

    pack_id: str
    created_at: str
    inputs: Mapping[str, Any]
    previous: PackLink | None
    files: tuple[FileEntry, ...]
    tool_version: str = __version__


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` in lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON of `value`: sorted keys, fixed indentation and separators, a trailing newline."""
    text = json.dumps(value, sort_keys=True, indent=2, separators=(",", ": "), ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def checked_pack_path(path: str) -> str:
    """`path` if it is a clean relative POSIX path that may name a file of a pack, else a PackContentError."""
    parts = path.split("/") if isinstance(path, str) else []
    problem = ""
    if not parts or any(part in ("", ".", "..") for part in parts):
        problem = "must be a relative path without empty, '.' or '..' parts"
    elif any(character == "\\" or ord(character) < 32 for character in path):
        problem = "must not contain backslashes or control characters"
    elif path in (MANIFEST_FILE, SIGNATURE_FILE):
        problem = "is reserved for the pack's own manifest and signature"
    if problem:
        raise PackContentError(repr(path), problem)
    return path


def file_entry(path: str, data: bytes) -> FileEntry:
    """The manifest entry of a file with content `data`."""
    return FileEntry(checked_pack_path(path), sha256_hex(data), len(data))


def build_manifest(files: Iterable[FileEntry], created_at: str, inputs: Mapping[str, Any],
                   previous: PackLink | None) -> Manifest:
    """The manifest of a pack holding `files`, created at `created_at` from `inputs`, following `previous`."""
    entries = tuple(sorted(files, key=lambda entry: entry.path))
    paths = [entry.path for entry in entries]
    duplicates = sorted({path for path in paths if paths.count(path) > 1})
    if duplicates:
        raise PackContentError(duplicates[0], "listed twice")
    try:
        canonical_json(inputs)
    except (TypeError, ValueError) as error:
        raise PackContentError("inputs", f"not representable as JSON: {error}") from None
    draft = Manifest("", canonical_utc(created_at, "created_at"), dict(inputs), previous, entries)
    return Manifest(expected_pack_id(draft), draft.created_at, draft.inputs, previous, entries, draft.tool_version)


def expected_pack_id(manifest: Manifest) -> str:
    """The pack id `manifest` should carry: its creation time, then a short hash of what the pack holds.

    The hash covers the manifest without its id, its link to the previous pack and the report PDF's entry,
    so the id is known before the report that displays it is rendered, and before the pack joins a ledger.
    """
    document = manifest_document(manifest)
    del document["pack_id"], document["previous"]
    document["files"] = [entry for entry in document["files"] if entry["path"] != REPORT_PDF]
    return f"{compact_utc(manifest.created_at)}-{sha256_hex(canonical_json(document))[:12]}"


def manifest_document(manifest: Manifest) -> dict[str, Any]:
    """The JSON document of a manifest."""
    previous = manifest.previous
    return {
        "format": MANIFEST_FORMAT,
        "tool": {"name": TOOL_NAME, "version": manifest.tool_version},
        "pack_id": manifest.pack_id,
        "created_at": manifest.created_at,
        "inputs": dict(manifest.inputs),
        "previous": None if previous is None else {"pack_id": previous.pack_id,
                                                    "manifest_sha256": previous.manifest_sha256},
        "files": [{"path": entry.path, "sha256": entry.sha256, "size": entry.size} for entry in manifest.files],
    }


def manifest_bytes(manifest: Manifest) -> bytes:
    """The canonical bytes of manifest.json."""
    return canonical_json(manifest_document(manifest))


def parse_manifest(data: bytes, name: str = MANIFEST_FILE) -> Manifest:
    """The manifest in `data`, or an InvalidPackManifest naming the first field that is wrong."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidPackManifest(name, f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidPackManifest(name, "not a JSON object")
    if document.get("format") != MANIFEST_FORMAT:
        raise InvalidPackManifest(name, f"format: expected {MANIFEST_FORMAT!r}, found {document.get('format')!r}")
    tool = document.get("tool")
    pack_id = document.get("pack_id")
    inputs = document.get("inputs")
    if not isinstance(tool, dict) or tool.get("name") != TOOL_NAME or not isinstance(tool.get("version"), str):
        raise InvalidPackManifest(name, "tool: expected {\"name\": \"segproof\", \"version\": ...}")
    if not isinstance(pack_id, str) or not PACK_ID_PATTERN.match(pack_id):
        raise InvalidPackManifest(name, f"pack_id: {pack_id!r} is not a segproof pack id")
    if not isinstance(inputs, dict):
        raise InvalidPackManifest(name, "inputs: must be an object")
    created_at = document.get("created_at")
    try:
        canonical = canonical_utc(created_at) if isinstance(created_at, str) else None
    except InvalidValue:
        canonical = None
    if canonical is None or canonical != created_at:
        raise InvalidPackManifest(name, f"created_at: {created_at!r} is not a canonical RFC 3339 UTC time")
    files = parse_files(document.get("files"), name)
    return Manifest(pack_id, created_at, inputs, parse_link(document.get("previous"), f"{name}: previous"), files,
                    tool["version"])


def parse_files(value: Any, name: str) -> tuple[FileEntry, ...]:
    """The `files` list of a manifest, checked entry by entry."""
    if not isinstance(value, list):
        raise InvalidPackManifest(name, "files: must be a list")
    entries = []
    for index, item in enumerate(value):
        where = f"files[{index}]"
        if not isinstance(item, dict) or set(item) != {"path", "sha256", "size"}:
            raise InvalidPackManifest(name, f"{where}: expected path, sha256 and size")
        try:
            path = checked_pack_path(item["path"])
        except PackContentError as error:
            raise InvalidPackManifest(name, f"{where}.path: {error.message}") from None
        if not isinstance(item["sha256"], str) or not SHA256_PATTERN.match(item["sha256"]):
            raise InvalidPackManifest(name, f"{where}.sha256: not a lowercase hex SHA-256")
        if type(item["size"]) is not int or item["size"] < 0:
            raise InvalidPackManifest(name, f"{where}.size: not a byte count")
        entries.append(FileEntry(path, item["sha256"], item["size"]))
    paths = [entry.path for entry in entries]
    if paths != sorted(set(paths)):
        raise InvalidPackManifest(name, "files: paths must be unique and sorted")
    return tuple(entries)


def parse_link(value: Any, name: str) -> PackLink | None:
    """A `{pack_id, manifest_sha256}` reference, or None for null."""
    if value is None:
        return None
    if (not isinstance(value, dict) or set(value) != {"pack_id", "manifest_sha256"}
            or not isinstance(value["pack_id"], str) or not isinstance(value["manifest_sha256"], str)
            or not SHA256_PATTERN.match(value["manifest_sha256"])):
        raise InvalidPackManifest(name, "expected null or {\"pack_id\": ..., \"manifest_sha256\": <hex SHA-256>}")
    return PackLink(value["pack_id"], value["manifest_sha256"])
