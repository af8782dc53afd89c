"""The tracked objects (policies of every kind, and Namespaces) of manifest files in git, validated as
`--manifests` validates files, so that a broken manifest is reported on the version that broke it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import git

from compliance.errors import ManifestError
from compliance.model.history import TRACKED_KINDS, ObjectContent, ObjectKey, TrackedObject
from compliance.model.objects import Namespace
from compliance.model.policy_identity import AnyPolicy, kind_of
from compliance.sources.git.blob_cache import BlobCache, BlobKey, Entry, StoredContents, entry_of, syntax_of
from compliance.sources.git.repository import REGULAR_FILE_MODES, read_blobs
from compliance.sources.manifests import MANIFEST_SUFFIXES, Document, collect, is_object, objects_in, parse_documents


@dataclass(frozen=True)
class ManifestFile:
    """The tracked objects of one file; with `error`, the file could not be read and `objects` is its last
    readable content."""

    objects: Mapping[ObjectKey, TrackedObject]
    error: str = ""


def is_manifest(path: str, mode: str) -> bool:
    """Whether a file is a regular file with a manifest suffix."""
    return mode in REGULAR_FILE_MODES and path.lower().endswith(MANIFEST_SUFFIXES)


def tracked_documents(name: str, text: str) -> list[Document]:
    """The documents of the tracked kinds in one file; other documents are not looked at."""
    return [document for index, content in parse_documents(name, text) if is_object(content)
            for document in objects_in(name, index, content) if document.obj.get("kind") in TRACKED_KINDS]


def tracked_objects(documents: Iterable[Document], path_of: Callable[[str], str]) -> dict[ObjectKey, TrackedObject]:
    """Validated objects of documents (as `collect` validates manifests), by key; ManifestError when invalid."""
    found = collect(documents)
    kept: list[tuple[ObjectKey, Document, AnyPolicy | Namespace]] = [
        *(((p.kind, p.namespace, p.name), found.origins[(p.kind, origin)], p) for origin, p in found.policies.items()),
        *(((p.kind, "", p.name), found.origins[(p.kind, origin)], p) for origin, p in found.cluster_policies.items()),
        *(((kind_of(p.key), p.namespace, p.name), found.origins[("Calico policy", origin)], p)
          for origin, p in found.calico_policies.items()),
        *(((p.kind, p.namespace, p.name), found.origins[("Cilium policy", origin)], p)
          for origin, p in found.cilium_policies.items()),
        *((("Namespace", "", name), found.origins[("Namespace", name)], n) for name, n in found.namespaces.items())]
    return {key: TrackedObject(*key, path_of(document.file), ObjectContent(value, document.obj))
            for key, document, value in kept}


def manifest_text(data: bytes, name: str) -> str:
    """A manifest file's UTF-8 text; ManifestError when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(name, None, "", "not UTF-8 text") from None


def named(path: str) -> Callable[[str], str]:
    """A `path_of` for `tracked_objects` that names every document's file `path`."""
    return lambda _: path


def read_manifest_files(repo: git.Repo, repository: str, versions: Iterable[tuple[str, str]],
                        cache: BlobCache | None = None) -> dict[tuple[str, str], ManifestFile]:
    """The tracked objects of each (blob, path) file version; a version that cannot be read keeps its error.

    Each blob is read from git once (none that `cache` holds), parsed once per syntax and validated once, however
    many paths hold it; the blobs are all read before any is parsed, so git streams them without waiting.
    """
    paths_of: dict[BlobKey, list[str]] = {}
    for blob, path in versions:
        paths_of.setdefault((blob, syntax_of(path)), []).append(path)
    cached = cache.load(paths_of) if cache else {}
    missing = {blob: paths[0] for (blob, syntax), paths in paths_of.items() if (blob, syntax) not in cached}
    texts = {blob: data for blob, _, data in read_blobs(repo, repository, list(missing.items()))} if missing else {}
    new: dict[BlobKey, Entry] = {}
    parsed: dict[tuple[str, str], ManifestFile] = {}
    for (blob, syntax), paths in paths_of.items():
        entry = cached.get((blob, syntax))
        if entry is None:
            first = paths[0]
            documents: list[Document] | None = None
            try:
                documents = tracked_documents(first, manifest_text(texts[blob], first))
                objects = tracked_objects(documents, named(first))
            except ManifestError as error:
                parsed[(blob, first)] = ManifestFile({}, error.message)
                for path in paths[1:]:  # the error names the file: find it for each
                    parsed[(blob, path)] = manifest_file(texts[blob], documents, path)
                continue
            parsed[(blob, first)] = ManifestFile(objects)
            for path in paths[1:]:
                parsed[(blob, path)] = ManifestFile({key: replace(found, path=path) for key, found in objects.items()})
            if cache and (made := entry_of([(*key, found.value, found.document) for key, found in objects.items()])):
                new[(blob, syntax)] = made
            continue
        contents = stored_contents(entry, cache.directory if cache else "")
        for path in paths:
            parsed[(blob, path)] = ManifestFile({key: TrackedObject(*key, path, content)
                                                 for key, content in contents.items()})
    if cache and new:
        cache.store(new)
    return parsed


def stored_contents(entry: Entry, directory: str) -> dict[ObjectKey, ObjectContent]:
    """The contents of a cached blob's objects, by key, each loaded when first asked for."""
    identities, payload = entry
    contents = StoredContents(directory, payload)
    return {(kind, namespace, name): ObjectContent(load=functools.partial(contents.pair, index),
                                                   fingerprint=fingerprint)
            for index, (kind, namespace, name, fingerprint) in enumerate(identities)}


def manifest_file(data: bytes | None, documents: Sequence[Document] | None, path: str) -> ManifestFile:
    """The tracked objects of one file from its content, or from its documents as another file of the same text
    (None: it did not parse); the error names `path`."""
    try:
        if documents is None:
            documents = tracked_documents(path, manifest_text(data or b"", path))
        return ManifestFile(tracked_objects((replace(d, file=path) for d in documents), named(path)))
    except ManifestError as error:
        return ManifestFile({}, error.message)
