"""Where the policies' git history is."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.sources.git.blob_cache import BlobCache


@dataclass(frozen=True)
class GitSource:
    """A repository (a local clone, or a fetched cache), the revision, the policy directories, the fetched URL, and
    the directory of the cache of parsed manifest blobs ("": none)."""

    repository: str
    rev: str
    paths: tuple[str, ...]
    origin: str = ""
    cache: str = ""

    @property
    def blob_cache(self) -> BlobCache | None:
        """The cache of parsed manifest blobs, if any."""
        return BlobCache(self.cache) if self.cache else None
