"""Typed errors: each carries a one-line message, a hint and the process exit code, and is rendered once, by the
command line. Library code raises these, never prints.

    SegproofError
    ├── InputError (exit 2): what was given cannot be used
    │   ├── InvalidObject: a Kubernetes object breaks the API's validation at a field
    │   │   └── InvalidSelector: a Calico selector that does not parse, at a column
    │   ├── ManifestError: an input file or one document in it (file, document, field)
    │   ├── EmptyInputError, UnknownNamespaceError: a source holding nothing, a namespace it does not hold
    │   ├── InvalidValue: a value handed to the library (a time, a subject, a count, an endpoint, a framework)
    │   ├── ConfigError: one of segproof's own files (file, key): ScopeError, RunConfigError, CatalogError
    │   ├── SigningMaterialError: a key or certificate file: WrongPassword, NotAKey, NotACertificate,
    │   │   KeyCertificateMismatch, CertificateNotValid, KeyFilesExist
    │   ├── PackContentError, PackExists, PdfSigningError: a pack that cannot be written
    │   ├── UnreadablePack: a pack to compare cannot be read
    │   └── UsageError: the command line asks for something that cannot be done (the CLI and workflows only)
    ├── AccessError (exit 3): something outside refused or could not be reached
    │   └── ClusterAccessError, GitSourceError, TimestampError, RunInProgress
    └── VerificationError (exit 4): evidence that does not verify
        └── InvalidEnvelope, InvalidPackManifest, LedgerError, PackTooLarge, VerificationFailed

Checks signal what they cannot decide with their own exceptions (`checks.registry`), which `controls.run_check`
turns into statuses: they never leave the evaluation.
"""

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


class InputError(SegproofError):
    """What was given (a file, an object, a value, an option) cannot be used (exit code 2)."""


class AccessError(SegproofError):
    """Something outside segproof (the cluster, git, a timestamping authority, another run) refused or could not
    be reached (exit code 3)."""

    exit_code = EXIT_UNREACHABLE


class VerificationError(SegproofError):
    """Evidence does not verify (exit code 4)."""

    exit_code = EXIT_VERIFICATION_FAILED


class InvalidValue(InputError):
    """A value handed to the library is not one it can use: a time, a name, a count, an endpoint, a framework."""


class InvalidObject(InputError):
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


class InvalidSelector(InvalidObject):
    """A Calico selector at `field` does not parse: `column` (1-based) is where, the message says what was expected."""

    def __init__(self, field: str, column: int, message: str) -> None:
        super().__init__(field, f"column {column}: {message}")
        self.column = column


class ManifestError(InputError):
    """An input file (or one document in it) cannot be used."""

    def __init__(self, file: str, document: int | None, field: str, message: str) -> None:
        where = file if document is None else f"{file}: document {document}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.file = file
        self.document = document
        self.field = field
        self.detail = message


class EmptyInputError(InputError):
    """The cluster state given holds no object at all: a wrong path or an empty file, never a cluster to assess."""

    def __init__(self, source: str, found_only: Sequence[str] = ()) -> None:
        hint = (f"it holds only objects segproof does not analyse: {', '.join(found_only)}" if found_only
                else "pass the manifests, snapshot or cluster to assess")
        super().__init__(f"{source}: no Kubernetes objects to analyse (no namespace, pod, workload, service or "
                         "NetworkPolicy)", hint)
        self.source = source


class UnknownNamespaceError(InputError):
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


class ConfigError(InputError):
    """One of segproof's own files (scope, run configuration) is invalid; the message names the file and key."""

    def __init__(self, file: str, field: str, message: str, hint: str = "") -> None:
        super().__init__(f"{file}: {field}: {message}" if field else f"{file}: {message}", hint)
        self.file = file
        self.field = field


class ScopeError(ConfigError):
    """The scope file is invalid; the message names the file and the key."""


class RunConfigError(ConfigError):
    """The run configuration is invalid; the message names the file and the key."""


class CatalogError(ConfigError):
    """A control catalog is invalid; the message names the file and key."""


class SigningMaterialError(InputError):
    """A key, certificate or request file cannot be used to sign (exit code 2)."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        super().__init__(f"{path}: {message}", hint)
        self.path = path
        self.detail = message


class WrongPassword(SigningMaterialError):
    """The private key is encrypted and the password is missing or incorrect."""


class NotAKey(SigningMaterialError):
    """The file holds no private key segproof can sign with."""


class NotACertificate(SigningMaterialError):
    """The file holds no X.509 certificate."""


class KeyCertificateMismatch(SigningMaterialError):
    """The certificate was issued for another key than the private key given with it."""


class CertificateNotValid(SigningMaterialError):
    """The certificate is expired, not yet valid, or does not allow digital signatures."""


class KeyFilesExist(SigningMaterialError):
    """Creating keys would overwrite existing key material."""


class PackContentError(InputError):
    """A file or value handed to the pack writer cannot go into a pack (exit code 2)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.detail = message


class PackExists(InputError):
    """The target of a new pack already exists; packs are never overwritten."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: already exists; an evidence pack is never overwritten",
                         hint="choose another output directory or remove the old pack")
        self.path = path


class PdfSigningError(InputError):
    """The report PDF could not be signed."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: cannot be signed: {message}")
        self.name = name
        self.detail = message


class UnreadablePack(InputError):
    """A pack to compare cannot be read: not a pack directory or zip, or a file the comparison needs is missing."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}", hint="give a pack directory or its zip, as `segproof pack` writes them")
        self.path = path


class UsageError(InputError):
    """The command line asks for something that cannot be done."""


class ClusterAccessError(AccessError):
    """The Kubernetes API refused or could not serve a request."""

    def __init__(self, message: str, hint: str = "", verb: str = "", resource: str = "",
                 namespace: str | None = None) -> None:
        super().__init__(message, hint)
        self.verb = verb
        self.resource = resource
        self.namespace = namespace


class GitSourceError(AccessError):
    """A git repository, revision or path cannot be read."""

    def __init__(self, message: str, hint: str = "", repository: str = "", rev: str = "", path: str = "") -> None:
        super().__init__(message, hint)
        self.repository = repository
        self.rev = rev
        self.path = path


class TimestampError(AccessError):
    """The timestamping authority could not be reached or gave no usable token (exit code 3)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"timestamping authority {url}: {message}",
                         hint="check the --tsa URL, or sign without a timestamp")
        self.url = url
        self.detail = message


class RunInProgress(AccessError):
    """Another run holds the output root's lock and did not finish within the wait (exit code 3)."""

    def __init__(self, root: str, holder: str, waited: float) -> None:
        super().__init__(f"{root}: another segproof run is writing packs here ({holder}); gave up after waiting "
                         f"{waited:g} s", hint="runs on one output root never interleave: retry when it is done, or "
                         "give a longer --wait")
        self.root = root
        self.holder = holder


class InvalidEnvelope(VerificationError):
    """A DSSE envelope does not verify; the message names what failed (exit code 4)."""


class InvalidPackManifest(VerificationError):
    """A pack's manifest.json is not a valid `segproof.pack/v1` manifest (exit code 4)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.detail = message


class LedgerError(VerificationError):
    """The ledger of packs is unreadable or inconsistent (exit code 4)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


class PackTooLarge(VerificationError):
    """A zipped pack exceeds the bounds a real pack stays far within (exit code 4)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}; refused before inflating anything")
        self.path = path
        self.detail = message


class VerificationFailed(VerificationError):
    """A pack or chain verification found problems; each one is named in `problems` (exit code 4)."""

    def __init__(self, subject: str, problems: Sequence[str]) -> None:
        count = len(problems)
        super().__init__(f"{subject}: verification failed ({count} problem{'s' if count != 1 else ''})")
        self.subject = subject
        self.problems = tuple(problems)
