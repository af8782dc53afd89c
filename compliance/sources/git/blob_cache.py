"""A cache of parsed manifest blobs on disk, so that re-reading a history parses only the versions it has not
seen.

An entry holds the tracked documents (index, field, object) that one blob's text parses into; it is keyed by
the blob id, the syntax it was read as (YAML or JSON, chosen by the file name's suffix) and the cache's version
(its schema and segproof's version), and nothing else depends on the path: the objects are validated, and named
after their file, on every read, so that validation errors always name the file and follow the current rules.
Files that do not parse are never cached (their error names the file).

Each run that parsed new blobs writes them as one file of lines `<SHA-256 of the rest> <blob> <syntax> <JSON>`
(a temporary file renamed into place), so concurrent runs never write the same file nor see half of one. A line
that is truncated or altered fails its digest and is a miss: the blob is read from git again and written anew.
When the files pile up, a run merges them into one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance import __version__

SCHEMA = 1  # bump when what an entry holds, or how a text parses into it, changes
VERSION = f"{SCHEMA}-{__version__}"
MERGE_ABOVE = 16  # files; a run that finds more merges them into one
BlobKey = tuple[str, str]  # (blob id, syntax)
Entry = list[Any]  # the documents of a blob: [index, field, object] each


def syntax_of(path: str) -> str:
    """The syntax a manifest file's text is read as: json or yaml."""
    return "json" if path.lower().endswith(".json") else "yaml"


def default_cache_directory() -> str:
    """`$XDG_CACHE_HOME/segproof/history` (`~/.cache/segproof/history` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "segproof", "history")


def entry_line(key: BlobKey, documents: Entry) -> bytes | None:
    """One entry as a line; None when JSON cannot hold the documents exactly (e.g. a mapping key that is not a
    string)."""
    try:
        text = json.dumps(documents, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    if json.loads(text) != documents:
        return None
    rest = f"{key[0]} {key[1]} {text}".encode()
    return hashlib.sha256(rest).hexdigest().encode() + b" " + rest + b"\n"


def sound_entries(data: bytes, wanted: Collection[BlobKey] | None) -> dict[BlobKey, Entry]:
    """The entries of a file's lines that pass their digest (all, or those `wanted`)."""
    found: dict[BlobKey, Entry] = {}
    for line in data.split(b"\n"):
        digest, _, rest = line.partition(b" ")
        blob, _, after = rest.partition(b" ")
        syntax, _, text = after.partition(b" ")
        key = (blob.decode("ascii", "replace"), syntax.decode("ascii", "replace"))
        if (wanted is not None and key not in wanted) or key in found:
            continue
        if hashlib.sha256(rest).hexdigest().encode() != digest:
            continue
        try:
            documents = json.loads(text)
        except ValueError:
            continue
        if isinstance(documents, list) and all(isinstance(d, list) and len(d) == 3 for d in documents):
            found[key] = documents
    return found


@dataclass(frozen=True)
class BlobCache:
    """The entries under `<directory>/<VERSION>/`."""

    directory: str

    @property
    def folder(self) -> Path:
        """Where this version's files are."""
        return Path(self.directory, VERSION)

    def files(self) -> list[Path]:
        """This version's files, oldest name first."""
        try:
            return sorted(self.folder.glob("*.entries"))
        except OSError:
            return []

    def load(self, wanted: Collection[BlobKey]) -> dict[BlobKey, Entry]:
        """The sound entries of the wanted blobs; a file that vanished or cannot be read holds none."""
        found: dict[BlobKey, Entry] = {}
        remaining = set(wanted)
        for file in self.files():
            if remaining:
                found.update(sound_entries(readable(file), remaining))
                remaining.difference_update(found)
        return found

    def store(self, entries: Mapping[BlobKey, Entry]) -> None:
        """Keep new entries in one new file, merging the files when they pile up; a cache that cannot be
        written is no cache, never a failure."""
        lines = [line for key, documents in sorted(entries.items()) if (line := entry_line(key, documents))]
        existing = self.files()
        merged = b"".join(data for file in existing if (data := readable(file))) if len(existing) > MERGE_ABOVE \
            else b""
        if not lines and not merged:
            return
        kept = b"".join(entry_line(key, documents) or b"" for key, documents in sound_entries(merged, None).items())
        if not self.write(kept + b"".join(lines)):
            return
        for file in existing if merged else ():
            with contextlib.suppress(OSError):  # a run merging at the same time may have removed it
                file.unlink()

    def write(self, data: bytes) -> bool:
        """Write one new file of lines atomically; whether it was written."""
        name = uuid.uuid4().hex
        target = self.folder / f"{name}.entries"
        temporary = self.folder / f".{name}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                temporary.write_bytes(data)
                os.replace(temporary, target)
            except OSError:
                temporary.unlink(missing_ok=True)
                raise
        except OSError:
            return False
        return True


def readable(file: Path) -> bytes:
    """A file's bytes; b"" when it vanished (another run merged it) or cannot be read."""
    try:
        return file.read_bytes()
    except OSError:
        return b""
