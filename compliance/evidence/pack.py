"""Writing an evidence pack atomically: stage every file beside the target, sign, hash, write the manifest, rename.

A pack appears at its final path complete or not at all. A crash leaves at most a `.segproof-tmp-*` directory (or
zip) beside the target, which holds no manifest at the final path and is removed by the next write there.
"""

from __future__ import annotations

import datetime
import fcntl
import os
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance.errors import PackContentError, PackExists
from compliance.evidence.keys import Signer
from compliance.evidence.manifest import (
    MANIFEST_FILE,
    REPORT_PDF,
    REQUIRED_FILES,
    SIGNATURE_FILE,
    Manifest,
    PackLink,
    build_manifest,
    checked_pack_path,
    file_entry,
    manifest_bytes,
    sha256_hex,
)
from compliance.evidence.pdf_signing import sign_pdf
from compliance.evidence.signing import sign_envelope
from compliance.times import parse_utc

STAGING_PREFIX = ".segproof-tmp-"
LOCK_FILE = ".segproof-lock"
PRIVATE_KEY_MARKER = b"PRIVATE KEY-----"
ZIP_EPOCH = datetime.datetime(1980, 1, 1, tzinfo=datetime.timezone.utc)


@dataclass(frozen=True)
class WrittenPack:
    """A pack in its final place: its directory, manifest, the SHA-256 of manifest.json, and its zip if made."""

    path: Path
    manifest: Manifest
    manifest_sha256: str
    zip_path: Path | None

    @property
    def link(self) -> PackLink:
        """The reference the next pack's manifest records as `previous`."""
        return PackLink(self.manifest.pack_id, self.manifest_sha256)


def write_pack(target: str | Path, files: Mapping[str, bytes], *, created_at: str,
               inputs: Mapping[str, Any] | None = None, signer: Signer | None = None,
               timestamper: Callable[[bytes], bytes] | None = None, previous: PackLink | None = None,
               make_zip: bool = False, progress: Callable[[str], None] | None = None) -> WrittenPack:
    """Write a new pack at `target` (and `<target>.zip` when `make_zip`), signed when a signer is given.

    `files` maps relative paths (`report.pdf`, `data/findings.csv`, ...) to their bytes and holds at least the
    REQUIRED_FILES. The report PDF is signed before it is hashed; `timestamper` stamps the manifest's signature.
    `progress` is called with each file's path once it is written.
    """
    destination = Path(target)
    zip_destination = zip_path(destination) if make_zip else None
    contents = checked_contents(files)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(destination.parent / LOCK_FILE):
        remove_stale_staging(destination.parent)
        for path in (destination, zip_destination):
            if path is not None and (path.exists() or path.is_symlink()):
                raise PackExists(str(path))
        # Not mkdtemp: its mode 0700 would become the pack's; mkdir honours the umask like every other file.
        staging = destination.parent / f"{STAGING_PREFIX}{secrets.token_hex(8)}"
        staging.mkdir()
        staged_zip = zip_path(staging)
        try:
            manifest, manifest_raw = stage_pack(staging, contents, created_at, inputs or {}, signer, timestamper,
                                                previous, progress or (lambda _path: None))
            if zip_destination is not None:
                write_zip(staged_zip, staging, destination.name, manifest.created_at)
            sync_tree(staging)
            os.rename(staging, destination)
            if zip_destination is not None:
                os.rename(staged_zip, zip_destination)
            sync_directory(destination.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            staged_zip.unlink(missing_ok=True)
            raise
    return WrittenPack(destination, manifest, sha256_hex(manifest_raw), zip_destination)


def zip_path(directory: Path) -> Path:
    """Where the zip of the pack at `directory` is: `<directory>.zip` beside it."""
    return directory.with_name(directory.name + ".zip")


def zip_written_pack(directory: Path, created_at: str) -> Path:
    """The zip of the pack already at `directory`, written now unless it is there (a crash came between renaming
    the pack's directory and its zip): staged beside it and renamed, as `write_pack` does."""
    destination = zip_path(directory)
    with exclusive_lock(directory.parent / LOCK_FILE):
        if not (destination.exists() or destination.is_symlink()):
            remove_stale_staging(directory.parent)
            staged = directory.parent / f"{STAGING_PREFIX}{secrets.token_hex(8)}.zip"
            try:
                write_zip(staged, directory, directory.name, created_at)
                os.rename(staged, destination)
                sync_directory(directory.parent)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
    return destination


def checked_contents(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The pack's files after checking every path is clean, every content is bytes, none is a private key and
    every required file is there."""
    contents = {}
    for path, data in files.items():
        checked_pack_path(path)
        if not isinstance(data, bytes):
            raise PackContentError(path, f"content must be bytes, not {type(data).__name__}")
        if PRIVATE_KEY_MARKER in data:
            raise PackContentError(path, "contains a private key; private keys never go into a pack")
        contents[path] = data
    missing = [name for name in REQUIRED_FILES if name not in contents]
    if missing:
        raise PackContentError(", ".join(missing), "missing: every pack holds " + ", ".join(REQUIRED_FILES))
    return contents


def stage_pack(staging: Path, contents: dict[str, bytes], created_at: str, inputs: Mapping[str, Any],
               signer: Signer | None, timestamper: Callable[[bytes], bytes] | None, previous: PackLink | None,
               progress: Callable[[str], None]) -> tuple[Manifest, bytes]:
    """Write the pack's files, manifest.json and (when signing) manifest.sig into `staging`."""
    if signer is not None and REPORT_PDF in contents:
        contents = {**contents, REPORT_PDF: sign_pdf(contents[REPORT_PDF], signer, REPORT_PDF)}
    entries = []
    for path in sorted(contents):
        write_new_file(staging, path, contents[path])
        entries.append(file_entry(path, contents[path]))
        progress(path)
    manifest = build_manifest(entries, created_at, inputs, previous)
    manifest_raw = manifest_bytes(manifest)
    write_new_file(staging, MANIFEST_FILE, manifest_raw)
    progress(MANIFEST_FILE)
    if signer is not None:
        write_new_file(staging, SIGNATURE_FILE, sign_envelope(manifest_raw, signer, timestamper=timestamper))
        progress(SIGNATURE_FILE)
    return manifest, manifest_raw


def write_new_file(root: Path, name: str, data: bytes) -> None:
    """Create the file `name` under `root` (and its folders) with `data`, flushed to disk; fails if it exists."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except FileExistsError:
        raise PackContentError(name, "two files of the pack map to the same file on disk") from None


def write_zip(path: Path, staging: Path, folder: str, created_at: str) -> None:
    """A deterministic zip of the staged pack: entries `<folder>/<path>` sorted, fixed times and permissions."""
    moment = max(parse_utc(created_at), ZIP_EPOCH)
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    names = sorted(file.relative_to(staging).as_posix() for file in staging.rglob("*") if file.is_file())
    with path.open("xb") as handle:
        with zipfile.ZipFile(handle, "w") as archive:
            for name in names:
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o100644 << 16
                archive.writestr(info, (staging / name).read_bytes())
        handle.flush()
        os.fsync(handle.fileno())


def remove_stale_staging(directory: Path) -> None:
    """Remove what interrupted writes left in `directory` (only ever called while holding its lock)."""
    for leftover in directory.glob(f"{STAGING_PREFIX}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


def sync_tree(root: Path) -> None:
    """Flush the entries of every directory under `root` (files were flushed when written)."""
    for folder, _directories, _files in os.walk(root, topdown=False):
        sync_directory(Path(folder))


def sync_directory(directory: Path) -> None:
    """Flush a directory's entries (new names, renames) to disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created if needed); the system releases it if the process dies."""
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
