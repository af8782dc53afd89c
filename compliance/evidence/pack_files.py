"""Reading the files of a pack as they are stored: a directory, or a zip (optionally with one top-level folder).

A zip is bounded before anything is inflated: its entry count, the sizes its entries declare (in total and as
ratios to their compressed sizes, which a zip bomb exceeds by far), so a small hostile file fails at once. An
entry never inflates beyond the size it declares (zipfile stops there, and its CRC check then fails).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from compliance.errors import PackTooLarge
from compliance.evidence.manifest import MANIFEST_FILE

CHUNK_SIZE = 1 << 20
MAX_ZIP_ENTRIES = 10_000
MAX_INFLATED_BYTES = 16 << 30
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR_BYTES = 1 << 20  # entries smaller than this inflate harmlessly whatever their ratio


@dataclass(frozen=True)
class PackFiles:
    """The regular files of a stored pack by relative path, and what is stored that is not a regular file."""

    location: Path
    names: frozenset[str]
    irregular: tuple[str, ...]
    archive: zipfile.ZipFile | None
    prefix: str

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary stream of the file `name`."""
        if self.archive is not None:
            with self.archive.open(self.prefix + name) as stream:
                yield stream
        else:
            with (self.location / name).open("rb") as stream:
                yield stream

    def read(self, name: str) -> bytes:
        """The whole content of the file `name`."""
        with self.open(name) as stream:
            return stream.read()

    def digest(self, name: str) -> tuple[str, int]:
        """The SHA-256 (hex) and size of the file `name`, read in chunks."""
        digest, size = hashlib.sha256(), 0
        with self.open(name) as stream:
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size


@contextmanager
def open_pack(path: str | Path) -> Iterator[PackFiles]:
    """The files of the pack stored at `path`, a directory or a zip file."""
    location = Path(path)
    if location.is_dir():
        names, irregular = directory_files(location)
        yield PackFiles(location, frozenset(names), tuple(irregular), None, "")
        return
    with zipfile.ZipFile(location) as archive:
        checked_bounds(location, archive.infolist())
        entries = [info.filename for info in archive.infolist() if not info.is_dir()]
        prefix = archive_prefix(entries)
        duplicates = sorted(name for name, count in Counter(entries).items() if count > 1)
        members = {name.removeprefix(prefix) for name in entries}
        yield PackFiles(location, frozenset(members), tuple(f"{name} (stored twice in the zip)" for name in duplicates),
                        archive, prefix)


def checked_bounds(location: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip with too many entries, or whose entries declare more than a pack could inflate to."""
    if len(infos) > MAX_ZIP_ENTRIES:
        raise PackTooLarge(str(location), f"{len(infos):,} entries, more than the {MAX_ZIP_ENTRIES:,} a pack may hold")
    total = sum(info.file_size for info in infos)
    if total > MAX_INFLATED_BYTES:
        raise PackTooLarge(str(location), f"its entries inflate to {total:,} bytes, more than the "
                           f"{MAX_INFLATED_BYTES:,} a pack may hold")
    for info in infos:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise PackTooLarge(str(location), f"{info.filename} inflates {info.compress_size:,} bytes to "
                               f"{info.file_size:,}, more than {MAX_COMPRESSION_RATIO} times (a zip bomb)")


def directory_files(root: Path) -> tuple[list[str], list[str]]:
    """The regular files under `root` as relative POSIX paths, and the paths of links and other special files."""
    names, irregular = [], []
    for folder, directories, files in os.walk(root):
        here = Path(folder)
        for name in sorted(directories):
            if (here / name).is_symlink():
                irregular.append(f"{(here / name).relative_to(root).as_posix()} (symbolic link)")
        for name in files:
            path = here / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                irregular.append(f"{relative} (symbolic link)")
            elif path.is_file():
                names.append(relative)
            else:
                irregular.append(f"{relative} (not a regular file)")
    return names, irregular


def archive_prefix(entries: list[str]) -> str:
    """`<folder>/` when every entry of a zip sits in one top-level folder holding the manifest, else ''."""
    if MANIFEST_FILE in entries or not entries:
        return ""
    top = entries[0].split("/", 1)[0] + "/"
    return top if all(name.startswith(top) for name in entries) else ""


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a pack CSV (UTF-8 with a byte-order mark) as dicts; a short row's missing cells are ""."""
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), restval=""))
