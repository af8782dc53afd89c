"""Where the policies' git history is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GitSource:
    """A repository (a local clone, or a fetched cache), the revision, the policy directories, and the fetched URL."""

    repository: str
    rev: str
    paths: tuple[str, ...]
    origin: str = ""
