"""Typed errors: each carries a one-line user-facing message, a hint and the process exit code."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

EXIT_OK = 0
EXIT_CONTROLS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3
EXIT_VERIFICATION_FAILED = 4


class SegproofError(Exception):
    """Base of every error the CLI renders as one clear line plus an optional hint."""

    exit_code = EXIT_BAD_INPUT
    hint = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint


class InvalidObject(SegproofError):
    """A Kubernetes object violates the API's validation rules at `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.detail = message

    def within(self, prefix: str) -> InvalidObject:
        """The same error with its field path placed under `prefix`."""
        if not prefix:
            return self
        return InvalidObject(f"{prefix}.{self.field}" if self.field else prefix, self.detail)


class ManifestError(SegproofError):
    """An input file (or one document in it) cannot be used."""

    def __init__(self, file: str, document: int | None, field: str, message: str) -> None:
        where = file if document is None else f"{file}: document {document}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.file = file
        self.document = document
        self.field = field
        self.detail = message


class ConfigError(SegproofError):
    """One of segproof's own files (scope, run configuration) is invalid; the message names the file and key."""

    def __init__(self, file: str, field: str, message: str, hint: str = "") -> None:
        super().__init__(f"{file}: {field}: {message}" if field else f"{file}: {message}", hint)
        self.file = file
        self.field = field


class UsageError(SegproofError):
    """The command line asks for something that cannot be done."""


class EmptyInputError(SegproofError):
    """The cluster state given holds no object at all: a wrong path or an empty file, never a cluster to assess."""

    def __init__(self, source: str, found_only: Sequence[str] = ()) -> None:
        hint = (f"it holds only objects segproof does not analyse: {', '.join(found_only)}" if found_only
                else "pass the manifests, snapshot or cluster to assess")
        super().__init__(f"{source}: no Kubernetes objects to analyse (no namespace, pod, workload, service or "
                         "NetworkPolicy)", hint)
        self.source = source


class UnknownNamespaceError(UsageError):
    """`-n` names namespaces the input (or the live cluster) does not hold: a typo, never an empty cluster to assess.

    The hint lists close matches and a few of the `present` namespaces, when they are known.
    """

    HINT_NAMES = 5  # enough to recognise the input, short enough for one line

    def __init__(self, missing: Sequence[str], source: str, present: Sequence[str] | None) -> None:
        names = ", ".join(repr(name) for name in missing)
        noun = "namespace" if len(missing) == 1 else "namespaces"
        super().__init__(f"-n: {noun} {names} not found in {source}", self.namespaces_hint(missing, present))
        self.missing = tuple(missing)
        self.source = source

    @classmethod
    def namespaces_hint(cls, missing: Sequence[str], present: Sequence[str] | None) -> str:
        """Close matches first, then a few of the namespaces present; how to look when they are not known."""
        if not present:
            return "list the namespaces with kubectl get namespaces"
        close = [match for name in missing for match in difflib.get_close_matches(name, present, n=1)]
        shown = list(dict.fromkeys([*close, *sorted(present)]))[:cls.HINT_NAMES]
        more = f" and {len(present) - len(shown)} more" if len(present) > len(shown) else ""
        guess = f"did you mean {', '.join(close)}? " if close else ""
        return f"{guess}namespaces there: {', '.join(shown)}{more}"


class ClusterAccessError(SegproofError):
    """The Kubernetes API refused or could not serve a request."""

    exit_code = EXIT_UNREACHABLE

    def __init__(self, message: str, hint: str = "", verb: str = "", resource: str = "",
                 namespace: str | None = None) -> None:
        super().__init__(message, hint)
        self.verb = verb
        self.resource = resource
        self.namespace = namespace


class GitSourceError(SegproofError):
    """A git repository, revision or path cannot be read."""

    exit_code = EXIT_UNREACHABLE

    def __init__(self, message: str, hint: str = "", repository: str = "", rev: str = "", path: str = "") -> None:
        super().__init__(message, hint)
        self.repository = repository
        self.rev = rev
        self.path = path
