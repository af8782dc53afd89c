"""Typed errors: each carries a one-line user-facing message, a hint and the process exit code."""

from __future__ import annotations

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
