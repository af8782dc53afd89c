"""The ledger of packs under one output root (`ledger.json`, format `segproof.ledger/v1`): a hash chain of manifests.

Each pack's manifest records the previous pack's id and manifest SHA-256, so the signed manifests form the chain and
the ledger only indexes it: every pack ever written there, in order, with its manifest hash. Retention deletes only
the oldest packs, and their entries stay (`removed: true`) with the manifest and its signature envelope (`manifest`,
`signature`), so every signed link can still be checked (`chain.verify_chain`). Writers hold
`.segproof-ledger-lock` at the root while they read and update the ledger. Packs are in time order: one not created
after the newest is refused.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from compliance.errors import InvalidPackManifest, InvalidValue, LedgerError, PackContentError, SegproofError
from compliance.evidence.files import write_atomically
from compliance.evidence.keys import Signer
from compliance.evidence.manifest import (
    MANIFEST_FILE,
    SHA256_PATTERN,
    SIGNATURE_FILE,
    PackLink,
    canonical_json,
    checked_pack_path,
    parse_manifest,
    sha256_hex,
)
from compliance.evidence.pack import WrittenPack, exclusive_lock, write_pack, zip_path, zip_written_pack
from compliance.evidence.pack_files import open_pack
from compliance.times import canonical_utc, compact_utc, parse_utc

LEDGER_FILE = "ledger.json"
LEDGER_FORMAT = "segproof.ledger/v1"
LEDGER_LOCK_FILE = ".segproof-ledger-lock"
ENTRY_FIELDS = {"pack_id", "created_at", "manifest_sha256", "path", "removed"}
RETAINED_FIELDS = {"manifest", "signature"}


@dataclass(frozen=True)
class LedgerEntry:
    """One pack written under the root: id, creation time, manifest hash, path relative to the root, deleted or not,
    and for a deleted pack its manifest.json and manifest.sig as they were (None: not kept, or unsigned)."""

    pack_id: str
    created_at: str
    manifest_sha256: str
    path: str
    removed: bool = False
    manifest: str | None = None
    signature: str | None = None

    @property
    def link(self) -> PackLink:
        """The reference the next pack's manifest records as `previous`."""
        return PackLink(self.pack_id, self.manifest_sha256)


def pack_directory_name(created_at: str) -> str:
    """The directory name of a pack created at `created_at` under an output root: `20260930T120000Z`."""
    return compact_utc(created_at, "created_at")


def read_ledger(root: str | Path) -> tuple[LedgerEntry, ...]:
    """The entries of the ledger at `root`, oldest first; none when there is no ledger yet."""
    path = Path(root) / LEDGER_FILE
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LedgerError(str(path), f"unreadable: {error}") from None
    if not isinstance(document, dict) or document.get("format") != LEDGER_FORMAT:
        raise LedgerError(str(path), f"not a {LEDGER_FORMAT} ledger")
    packs = document.get("packs")
    if not isinstance(packs, list):
        raise LedgerError(str(path), "packs: must be a list")
    return tuple(parsed_entry(item, f"packs[{index}]", path) for index, item in enumerate(packs))


def parsed_entry(item: Any, where: str, path: Path) -> LedgerEntry:
    """One ledger entry, checked field by field."""
    if not isinstance(item, dict) or not ENTRY_FIELDS <= set(item) <= ENTRY_FIELDS | RETAINED_FIELDS:
        raise LedgerError(str(path), f"{where}: expected the fields {', '.join(sorted(ENTRY_FIELDS))} (and for a "
                          f"removed pack {', '.join(sorted(RETAINED_FIELDS))})")
    if not all(isinstance(item.get(name), (str, type(None))) for name in RETAINED_FIELDS):
        raise LedgerError(str(path), f"{where}: manifest and signature must be strings")
    if not all(isinstance(item[name], str) for name in ("pack_id", "created_at", "manifest_sha256", "path")):
        raise LedgerError(str(path), f"{where}: pack_id, created_at, manifest_sha256 and path must be strings")
    if not SHA256_PATTERN.match(item["manifest_sha256"]) or not isinstance(item["removed"], bool):
        raise LedgerError(str(path), f"{where}: manifest_sha256 must be a hex SHA-256 and removed a boolean")
    try:
        checked_pack_path(item["path"])
    except PackContentError as error:
        raise LedgerError(str(path), f"{where}.path: {error.message}") from None
    return LedgerEntry(item["pack_id"], item["created_at"], item["manifest_sha256"], item["path"], item["removed"],
                       item.get("manifest"), item.get("signature"))


def write_ledger(root: Path, entries: tuple[LedgerEntry, ...]) -> None:
    """Replace the ledger at `root` atomically."""
    document = {"format": LEDGER_FORMAT, "packs": [entry_document(entry) for entry in entries]}
    write_atomically(root / LEDGER_FILE, canonical_json(document))


def entry_document(entry: LedgerEntry) -> dict[str, Any]:
    """The JSON object of one ledger entry; what a removed pack keeps appears only once it is removed."""
    document: dict[str, Any] = {"pack_id": entry.pack_id, "created_at": entry.created_at,
                                "manifest_sha256": entry.manifest_sha256, "path": entry.path, "removed": entry.removed}
    document.update({name: value for name, value in (("manifest", entry.manifest), ("signature", entry.signature))
                     if value is not None})
    return document


def checked_keep(keep: int) -> int:
    """`keep` if it keeps at least the newest pack, else an InvalidValue."""
    if keep < 1:
        raise InvalidValue(f"retain: {keep}: at least the newest pack must be kept")
    return keep


def publish_pack(root: str | Path, files: Mapping[str, bytes], *, created_at: str,
                 inputs: Mapping[str, Any] | None = None, signer: Signer | None = None,
                 timestamper: Callable[[bytes], bytes] | None = None, keep: int | None = None,
                 make_zip: bool = False, progress: Callable[[str], None] | None = None) -> WrittenPack:
    """Write the next pack of the chain at `root/<created_at>`, record it, then keep only the newest `keep` packs."""
    folder = Path(root)
    if keep is not None:
        checked_keep(keep)
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder / LEDGER_LOCK_FILE):
        entries = adopted(folder, read_ledger(folder), make_zip)
        check_in_time_order(folder, entries, created_at)
        written = write_pack(folder / pack_directory_name(created_at), files, created_at=created_at, inputs=inputs,
                             signer=signer, timestamper=timestamper,
                             previous=entries[-1].link if entries else None, make_zip=make_zip, progress=progress)
        entries = appended(folder, entries, written)
        write_ledger(folder, entries)
        if keep is not None:
            retired(folder, entries, keep)
    return written


def check_in_time_order(root: Path, entries: tuple[LedgerEntry, ...], created_at: str) -> None:
    """Refuse a pack not created after the newest one: the packs of a ledger, and their signed links, are in time
    order."""
    newest = entries[-1] if entries else None
    if newest is not None and parse_utc(created_at, "created_at") <= parse_utc(newest.created_at, "created_at"):
        raise InvalidValue(f"{root / LEDGER_FILE}: a pack created at {canonical_utc(created_at)} would not come after "
                           f"the newest pack {newest.pack_id} (created at {newest.created_at}); the packs of a ledger "
                           "are in time order", hint=f"give a time after {newest.created_at} (--now), or another "
                           "output root")


def appended(root: Path, entries: tuple[LedgerEntry, ...], pack: WrittenPack) -> tuple[LedgerEntry, ...]:
    """The entries with `pack` added, after checking it is new, under `root` and follows the latest entry."""
    ledger = str(root / LEDGER_FILE)
    manifest = pack.manifest
    if any(entry.pack_id == manifest.pack_id for entry in entries):
        raise LedgerError(ledger, f"pack {manifest.pack_id} is already recorded")
    expected = entries[-1].link if entries else None
    if manifest.previous != expected:
        raise LedgerError(ledger, f"pack {manifest.pack_id} follows {describe(manifest.previous)}, but the latest "
                          f"recorded pack is {describe(expected)}")
    try:
        relative = pack.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise LedgerError(ledger, f"pack {pack.path} is not under the ledger's root {root}") from None
    return (*entries, LedgerEntry(manifest.pack_id, manifest.created_at, pack.manifest_sha256, relative))


def retired(root: Path, entries: tuple[LedgerEntry, ...], keep: int) -> tuple[LedgerEntry, ...]:
    """Mark all but the newest `keep` present packs removed in the ledger, keeping their signed manifests, then
    delete their files."""
    present = [index for index, entry in enumerate(entries) if not entry.removed]
    doomed = set(present[:-keep])
    updated = tuple(retained(root, entry) if index in doomed else entry for index, entry in enumerate(entries))
    if doomed:
        # The ledger says "removed" before anything is deleted: a crash in between leaves only leftovers to delete.
        write_ledger(root, updated)
    for entry in updated:
        if entry.removed:
            delete_pack_files(root, entry)
    return updated


def retained(root: Path, entry: LedgerEntry) -> LedgerEntry:
    """The entry of a pack about to be removed, holding its manifest.json and manifest.sig as stored."""
    stored = stored_files(root, entry.path, (MANIFEST_FILE, SIGNATURE_FILE))
    manifest, signature = (stored.get(name) for name in (MANIFEST_FILE, SIGNATURE_FILE))
    return replace(entry, removed=True, manifest=manifest.decode("utf-8") if manifest else None,
                   signature=signature.decode("utf-8") if signature else None)


def delete_pack_files(root: Path, entry: LedgerEntry) -> None:
    """Delete a removed pack's directory and zip, if they are still there."""
    directory = root / entry.path
    if directory.is_dir() and not directory.is_symlink():
        shutil.rmtree(directory)
    zip_path(directory).unlink(missing_ok=True)


def adopted(root: Path, entries: tuple[LedgerEntry, ...], make_zip: bool = False) -> tuple[LedgerEntry, ...]:
    """The entries plus packs a crash left written but unrecorded, when they follow the latest entry in order; with
    `make_zip`, each adopted pack gets the zip the crash may have kept it from."""
    recorded = {entry.path for entry in entries}
    updated = entries
    for directory in unrecorded_packs(root, recorded):
        raw = (directory / MANIFEST_FILE).read_bytes()
        try:
            manifest = parse_manifest(raw)
        except InvalidPackManifest:
            continue
        if manifest.previous == (updated[-1].link if updated else None):
            archive = zip_written_pack(directory, manifest.created_at) if make_zip else None
            updated = appended(root, updated, WrittenPack(directory, manifest, sha256_hex(raw), archive))
    if updated != entries:
        write_ledger(root, updated)
    return updated


def unrecorded_packs(root: Path, recorded: set[str]) -> list[Path]:
    """The pack directories directly under `root` (holding a manifest.json) the ledger does not list, by name."""
    return sorted(child for child in root.iterdir()
                  if not child.name.startswith(".") and child.name not in recorded and child.is_dir()
                  and (child / MANIFEST_FILE).is_file())


def stored_files(root: Path, path: str, names: tuple[str, ...]) -> dict[str, bytes]:
    """The named files of the pack stored at `root/path`, from its directory or else its zip, those that are there."""
    directory = root / path
    archive = zip_path(directory)
    try:
        if (directory / MANIFEST_FILE).is_file():
            return {name: (directory / name).read_bytes() for name in names if (directory / name).is_file()}
        if archive.is_file():
            with open_pack(archive) as files:
                return {name: files.read(name) for name in names if name in files.names}
    except (OSError, zipfile.BadZipFile, SegproofError):
        return {}
    return {}


def describe(link: PackLink | None) -> str:
    """`pack 20260930T120000Z-1a2b3c4d5e6f (manifest sha256 3f2a...)` or `no pack`."""
    if link is None:
        return "no pack"
    return f"pack {link.pack_id} (manifest sha256 {link.manifest_sha256[:12]}...)"
