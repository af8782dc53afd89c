"""The policy manifests at one revision: the policies (of every kind) and Namespaces they define."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.errors import GitSourceError
from compliance.model.history import Revision
from compliance.sources.git.manifests import is_manifest, manifest_text, tracked_documents, tracked_objects
from compliance.sources.git.repository import (
    files_at,
    normalised_paths,
    open_repository,
    read_blobs,
    resolve_commit,
    within,
)


def read_revision(repository: str, rev: str = "HEAD", paths: Sequence[str] = ()) -> Revision:
    """The policies and Namespaces defined under `paths` at `rev`; an invalid manifest is a ManifestError naming
    `commit:path`, the document and the field."""
    paths = normalised_paths(repository, paths)
    with open_repository(repository) as repo:
        commit = resolve_commit(repo, repository, rev)
        files = files_at(repo, repository, commit, paths)
        for path in paths:
            if not any(within(found, path) for found in files):
                raise GitSourceError(f"{repository}: {path!r} does not exist at {rev}", repository=repository,
                                     rev=rev, path=path)
        names = {f"{commit[:12]}:{path}": path for path, (_, mode) in files.items() if is_manifest(path, mode)}
        wanted = [(files[path][0], name) for name, path in sorted(names.items())]
        documents = [document for _, name, data in read_blobs(repo, repository, wanted)
                     for document in tracked_documents(name, manifest_text(data, name))]
    objects = tracked_objects(documents, names.__getitem__)
    return Revision(repository, rev, commit, paths, tuple(objects[key] for key in sorted(objects)))
