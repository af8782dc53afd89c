"""A cache of validated manifest blobs on disk, so that re-reading a history neither parses nor validates the
versions it has seen, and builds only the objects its consumers look at.

An entry holds the tracked objects one blob's text validates into: their kind, namespace, name and document
fingerprint (what replaying the history needs), and a pickle of their model values and documents as written,
unpickled only when a consumer asks for one; the file's name is not in it (every read adds it). It is keyed by the
blob id, the syntax it was read as (YAML or JSON, chosen by the file name's suffix) and the cache's version: its
schema, segproof's version and a digest of the code that reads and validates manifests, so that an entry always
holds what this code would make of the text now. Files that do not parse or validate are never cached (their error
names the file).

Each run that read new blobs writes them as one file: a header line naming the format and the SHA-256 of the rest,
then one pickle of the entries (a temporary file renamed into place), so concurrent runs never write the same
file nor see half of one. A file that is truncated or altered fails its digest: its blobs are read from git again
and written anew. Pickles are loaded by an unpickler that builds only the model's value types, so a file naming
any other callable (which only forgery, not damage, makes) runs nothing: it is an error naming the cache. When the
files pile up, a run merges them into one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import functools
import gc
import hashlib
import io
import ipaddress
import os
import pickle
import sys
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import compliance
from compliance import __version__
from compliance.errors import GitSourceError
from compliance.model.history import document_fingerprint

SCHEMA = 3  # bump when what an entry holds changes
MERGE_ABOVE = 16  # files; a run that finds more merges them into one
HEADER = b"segproof.blob-cache/3 "
BlobKey = tuple[str, str]  # (blob id, syntax)
Entry = tuple[tuple[tuple[str, str, str, bytes], ...], bytes]  # the tracked objects of a blob: (kind, namespace,
# name, document fingerprint) each, and the pickle of their (value, document) pairs
READING_CODE = ("documents.py", "errors.py", "model", "sources/manifests.py", "sources/git/manifests.py")
VALUE_TYPES = {("ipaddress", "IPv4Network"): ipaddress.IPv4Network, ("ipaddress", "IPv6Network"): ipaddress.IPv6Network,
               ("datetime", "date"): datetime.date, ("datetime", "datetime"): datetime.datetime,
               ("datetime", "time"): datetime.time, ("datetime", "timezone"): datetime.timezone,
               ("datetime", "timedelta"): datetime.timedelta}  # what a model value or a YAML 1.1 document may hold
DAMAGED_PICKLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, KeyError, IndexError,
                  RecursionError, MemoryError)  # what loading a pickle that names only value types may raise


@functools.lru_cache(maxsize=1)
def cache_version() -> str:
    """The schema, segproof's version and a digest of the code that reads and validates manifests."""
    package = Path(compliance.__file__).parent
    digest = hashlib.sha256()
    for part in READING_CODE:
        for file in sorted(package.joinpath(part).rglob("*.py")) if package.joinpath(part).is_dir() else [
                package / part]:
            digest.update(file.relative_to(package).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return f"{SCHEMA}-{__version__}-{digest.hexdigest()[:16]}"


def syntax_of(path: str) -> str:
    """The syntax a manifest file's text is read as: json or yaml."""
    return "json" if path.lower().endswith(".json") else "yaml"


def default_cache_directory() -> str:
    """`$XDG_CACHE_HOME/segproof/history` (`~/.cache/segproof/history` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "segproof", "history")


class PlainUnpickler(pickle.Unpickler):
    """An unpickler of plain values (tuples, strings, bytes): it builds no class at all."""

    def find_class(self, module: str, name: str) -> Any:
        """Nothing: UnpicklingError."""
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


def value_type(module: str, name: str) -> type | None:
    """The value type `module.name` (a dataclass or enum of the model, an address, a date), or None."""
    found = VALUE_TYPES.get((module, name))
    if found is None and module.startswith("compliance.model.") and module in sys.modules:
        candidate = getattr(sys.modules[module], name, None)
        if isinstance(candidate, type) and (dataclasses.is_dataclass(candidate) or issubclass(candidate, enum.Enum)):
            found = candidate
    return found


class ValueUnpickler(pickle.Unpickler):
    """An unpickler that builds only the model's value types: a file naming any other callable is refused, never
    run."""

    def find_class(self, module: str, name: str) -> Any:
        """The value type `module.name`; UnpicklingError for anything else."""
        found = value_type(module, name)
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a value type")
        return found


class ValuePickler(pickle.Pickler):
    """A pickler of values that `ValueUnpickler` loads back: PicklingError for any object of another type (the
    types of plain values never reach `reducer_override`)."""

    def reducer_override(self, obj: Any) -> Any:
        """The usual reduction (NotImplemented) for a value type, or a class that is one."""
        kind = obj if isinstance(obj, type) else type(obj)
        if not loadable(kind):
            raise pickle.PicklingError(f"{kind.__module__}.{kind.__qualname__} is not a value type")
        return NotImplemented


@functools.cache
def loadable(kind: type) -> bool:
    """Whether `ValueUnpickler` builds this class."""
    return value_type(kind.__module__, kind.__qualname__) is kind


def value_pickle(value: Any) -> bytes:
    """The pickle of a value that holds only value types; PicklingError otherwise."""
    stream = io.BytesIO()
    ValuePickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return stream.getvalue()


def entry_of(objects: Sequence[tuple[str, str, str, Any, Any]]) -> Entry | None:
    """The entry of a blob's (kind, namespace, name, value, document) objects; None when one holds a type that
    `ValueUnpickler` does not build: such a blob is validated on every read instead."""
    try:
        payload = value_pickle(tuple((value, document) for _, _, _, value, document in objects))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    return tuple((kind, namespace, name, document_fingerprint(document)) for kind, namespace, name, _, document
                 in objects), payload


class StoredContents:
    """The (value, document) pairs of one cached blob, unpickled when first asked for."""

    def __init__(self, directory: str, payload: bytes) -> None:
        self.directory = directory
        self.payload = payload
        self.pairs: tuple[tuple[Any, Any], ...] | None = None

    def pair(self, index: int) -> tuple[Any, Any]:
        """The index-th object's (value, document); GitSourceError when the pickle names other than value types."""
        if self.pairs is None:
            try:
                self.pairs = ValueUnpickler(io.BytesIO(self.payload)).load()
            except DAMAGED_PICKLE as error:
                raise GitSourceError(f"history cache {self.directory}: an entry that passed its digest does not "
                                     f"hold model values ({error}); it was not written by segproof",
                                     hint="delete the cache directory, and protect it as the clone it stands "
                                     "for") from None
        return self.pairs[index]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection meanwhile: loading a pickle builds many objects and no cycle, which collecting would
    only traverse."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def file_data(entries: Mapping[BlobKey, Entry]) -> bytes:
    """The bytes of a file holding `entries`."""
    payload = pickle.dumps(dict(sorted(entries.items())), protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def sound_entries(data: bytes) -> dict[BlobKey, Entry]:
    """The entries of a file's bytes; none when the file fails its digest or does not hold entries."""
    header, _, payload = data.partition(b"\n")
    if header != HEADER + hashlib.sha256(payload).hexdigest().encode():
        return {}
    try:
        with collector_paused():
            entries = PlainUnpickler(io.BytesIO(payload)).load()
    except DAMAGED_PICKLE:
        return {}
    return entries if isinstance(entries, dict) else {}


@dataclass(frozen=True)
class BlobCache:
    """The entries under `<directory>/<version>/`."""

    directory: str

    @property
    def folder(self) -> Path:
        """Where this version's files are."""
        return Path(self.directory, cache_version())

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
            if not remaining:
                break
            entries = sound_entries(readable(file))
            found.update((key, entries[key]) for key in remaining.intersection(entries))
            remaining.difference_update(found)
        return found

    def store(self, entries: Mapping[BlobKey, Entry]) -> None:
        """Keep new entries in one new file, merging the files when they pile up; a cache that cannot be
        written is no cache, never a failure."""
        existing = self.files()
        merged = len(existing) > MERGE_ABOVE
        kept = {key: entry for file in existing for key, entry in sound_entries(readable(file)).items()} \
            if merged else {}
        if not entries and not merged:
            return
        if not self.write(file_data({**kept, **entries})):
            return
        for file in existing if merged else ():
            with contextlib.suppress(OSError):  # a run merging at the same time may have removed it
                file.unlink()

    def write(self, data: bytes) -> bool:
        """Write one new file atomically; whether it was written."""
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
