"""The git history of policy manifests: which NetworkPolicy (or Namespace) changed in which commit, by whom,
with what review evidence, and which connections each change opened or closed.

History is read in one `git log` pass over the first-parent history of a revision (what landed on the
branch; a merge is diffed against its first parent), with blob ids from `--raw`. File contents come
from one `git cat-file --batch` process fed all at once, and each blob is parsed once. Objects are identified
by kind/namespace/name as parsed from the YAML, so renames, moves between files and multi-document
files are followed; a file that cannot be parsed at some revision is reported as an error on that
change and its last readable content stands in until it is fixed.
"""

from __future__ import annotations

import datetime
import posixpath
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import git

from compliance.errors import GitSourceError, InvalidValue, ManifestError
from compliance.model.objects import Namespace
from compliance.model.policy import IPBlock, NetworkPolicy
from compliance.model.snapshot import Snapshot
from compliance.netpol.connections import Connection
from compliance.netpol.diff import IncrementalReachability, roll_up
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import ip_version_cuts
from compliance.sources.approvals import Approval, ApprovalRule, approval_of
from compliance.sources.manifests import MANIFEST_SUFFIXES, Document, collect, is_object, objects_in, parse_documents
from compliance.times import format_utc

TRACKED_KINDS = ("NetworkPolicy", "Namespace")
LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GS", "%s", "%b", "%(trailers:unfold)")
LOG_FORMAT = "%x1e" + "%x1f".join(LOG_FIELDS) + "%x1f"
REGULAR_FILE_MODES = ("100644", "100755")
ObjectKey = tuple[str, str, str]


@dataclass(frozen=True)
class Commit:
    """One commit of the first-parent history, as `git log` reports it; times are RFC 3339 UTC."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: str
    committer_name: str
    committer_email: str
    committed_at: str
    signature: str
    signer: str
    subject: str
    body: str
    trailers: tuple[tuple[str, str], ...] = ()

    @property
    def author(self) -> str:
        """`Name <email>` of the author."""
        return f"{self.author_name} <{self.author_email}>"

    @property
    def committer(self) -> str:
        """`Name <email>` of the committer."""
        return f"{self.committer_name} <{self.committer_email}>"

    @property
    def is_merge(self) -> bool:
        """Whether the commit has more than one parent."""
        return len(self.parents) > 1


@dataclass(frozen=True)
class TrackedObject:
    """A NetworkPolicy or Namespace as one manifest file in git defines it; `document` is the object as written."""

    kind: str
    namespace: str
    name: str
    path: str
    value: NetworkPolicy | Namespace = field(repr=False)
    document: Mapping[str, Any] = field(repr=False)

    @property
    def key(self) -> ObjectKey:
        """(kind, namespace, name): the object's identity across files and revisions."""
        return self.kind, self.namespace, self.name

    @property
    def display(self) -> str:
        """`NetworkPolicy ns/name` or `Namespace name`."""
        return object_display(self.key)


@dataclass(frozen=True)
class Change:
    """One object added, modified or deleted by a commit, or (with `error`) a manifest that could not be read.

    opened/closed are the connections the change opened and closed (None until computed, and for objects
    that are not NetworkPolicies); zones_opened/zones_closed are the same grouped by zone pairs.
    """

    commit: Commit
    sequence: int
    change: str
    path: str
    approval: Approval
    before: TrackedObject | None = None
    after: TrackedObject | None = None
    error: str = ""
    opened: tuple[Connection, ...] | None = None
    closed: tuple[Connection, ...] | None = None
    zones_opened: tuple[Connection, ...] | None = None
    zones_closed: tuple[Connection, ...] | None = None

    @property
    def target(self) -> TrackedObject | None:
        """The object as changed (as it was, for a deletion); None for a manifest that could not be read."""
        return self.after or self.before

    @property
    def object(self) -> str:
        """`NetworkPolicy ns/name`, or "" for a manifest that could not be read."""
        return self.target.display if self.target else ""

    @property
    def previous_path(self) -> str:
        """The file that held the object before, when the change moved it; else ""."""
        if self.before and self.after and self.before.path != self.after.path:
            return self.before.path
        return ""


@dataclass(frozen=True)
class History:
    """Changes to the tracked objects under `paths` on the first-parent history of `rev`.

    `changes` are sorted by committed time, then history order, then object; `initial` and `final` are the
    objects before the first and after the last commit read (the whole history unless since/until narrow it).
    `level` and `assumptions` are set once the connections of each change have been computed.
    """

    repository: str
    rev: str
    commit: str
    paths: tuple[str, ...]
    since: str | None
    until: str | None
    changes: tuple[Change, ...]
    initial: tuple[TrackedObject, ...]
    final: tuple[TrackedObject, ...]
    warnings: tuple[str, ...] = ()
    level: str = ""
    assumptions: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Revision:
    """The tracked objects defined by the manifests under `paths` at one commit."""

    repository: str
    rev: str
    commit: str
    paths: tuple[str, ...]
    objects: tuple[TrackedObject, ...]

    @property
    def policies(self) -> tuple[NetworkPolicy, ...]:
        """The NetworkPolicies, sorted by namespace and name."""
        return tuple(o.value for o in self.objects if isinstance(o.value, NetworkPolicy))


@dataclass(frozen=True)
class Provenance:
    """The change that last set an object's current content (None: not changed within the history read)."""

    current: TrackedObject
    change: Change | None


@dataclass(frozen=True)
class FileChange:
    """One file in a commit's `--raw` diff: `source` is the old path ("" when added or copied), `target` the new
    ("" when deleted); `blob` and `mode` are the new version's."""

    source: str
    target: str
    blob: str
    mode: str


@dataclass(frozen=True)
class ManifestFile:
    """The tracked objects of one file; with `error`, the file could not be read and `objects` is its last
    readable content."""

    objects: Mapping[ObjectKey, TrackedObject]
    error: str = ""


def object_display(key: ObjectKey) -> str:
    """`NetworkPolicy ns/name` or `Namespace name`."""
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def git_message(error: git.GitCommandError) -> str:
    """The last line git wrote on stderr, without GitPython's decoration."""
    text = str(error.stderr or "").strip()
    text = re.sub(r"^stderr: '(.*)'$", r"\1", text, flags=re.DOTALL).strip()
    return text.splitlines()[-1] if text else f"git exited with status {error.status}"


@contextmanager
def open_repository(repository: str) -> Iterator[git.Repo]:
    """The repository at a path (its top directory, or a bare repository), closed afterwards."""
    try:
        repo = git.Repo(repository)
    except git.NoSuchPathError:
        raise GitSourceError(f"{repository}: no such directory", repository=repository) from None
    except git.InvalidGitRepositoryError:
        raise GitSourceError(f"{repository}: not a git repository", hint="give the repository's top directory",
                             repository=repository) from None
    with repo:
        yield repo


def run_git(repo: git.Repo, repository: str, command: str, *arguments: str, what: str) -> str:
    """The output of one git command; failures become GitSourceError naming `what` failed."""
    try:
        return getattr(repo.git, command)(*arguments)
    except git.GitCommandNotFound:
        raise GitSourceError("git is not installed (the `git` command was not found)", repository=repository) from None
    except git.GitCommandError as error:
        raise GitSourceError(f"{repository}: {what}: {git_message(error)}", repository=repository) from None


def resolve_commit(repo: git.Repo, repository: str, rev: str) -> str:
    """The commit id a revision names."""
    try:
        return repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except git.GitCommandNotFound:
        raise GitSourceError("git is not installed (the `git` command was not found)", repository=repository) from None
    except git.GitCommandError:
        raise GitSourceError(f"{repository}: {rev!r} is not a commit", hint="give a branch, tag or commit id",
                             repository=repository, rev=rev) from None


def normalised_paths(repository: str, paths: Sequence[str]) -> tuple[str, ...]:
    """Paths inside the repository, relative to its top directory, without duplicates; () means everything."""
    found = []
    for given in paths:
        path = posixpath.normpath(given.replace("\\", "/"))
        if path.startswith("/") or path == ".." or path.startswith("../"):
            raise GitSourceError(f"{repository}: path {given!r} is not inside the repository",
                                 hint="give paths relative to the repository's top directory",
                                 repository=repository, path=given)
        if path == ".":
            return ()
        found.append(path)
    return tuple(sorted(set(found)))


def within(path: str, given: str) -> bool:
    """Whether a file is the given path or lies under it."""
    return path == given or path.startswith(given + "/")


def is_manifest(path: str, mode: str) -> bool:
    """Whether a file is a regular file with a manifest suffix."""
    return mode in REGULAR_FILE_MODES and path.lower().endswith(MANIFEST_SUFFIXES)


def utc_text(text: str) -> str:
    """An ISO 8601 time with offset, as RFC 3339 UTC (`2026-01-05T08:00:00Z`)."""
    return format_utc(datetime.datetime.fromisoformat(text))


def time_bound(text: str | None, option: str, end_of_day: bool) -> str | None:
    """A --since/--until value as RFC 3339 UTC; a bare date means the start (or, for until, the end) of that day."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            moment = datetime.datetime.combine(day, datetime.time(23, 59, 59) if end_of_day else datetime.time())
        else:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"--{option}: invalid date {text!r}",
                         hint="use YYYY-MM-DD or RFC 3339, e.g. 2026-07-01T00:00:00Z") from None
    return format_utc(moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc))


def parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    """`Key: value` lines (as `%(trailers:unfold)` writes them) as pairs."""
    pairs = []
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        if separator and key.strip():
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def parse_raw(text: str) -> list[FileChange]:
    """The file changes of one commit from `git log --raw -z` output."""
    tokens = text.split("\0")
    changes = []
    position = 0
    while position < len(tokens):
        meta = tokens[position].lstrip("\n")
        position += 1
        if not meta.startswith(":"):
            continue
        _, new_mode, _, new_blob, status = meta[1:].split(" ")
        letter = status[:1]
        if letter in "RC":
            source, target = tokens[position], tokens[position + 1]
            position += 2
            changes.append(FileChange(source if letter == "R" else "", target, new_blob, new_mode))
        else:
            path = tokens[position]
            position += 1
            changes.append(FileChange("" if letter == "A" else path, "" if letter == "D" else path, new_blob,
                                      new_mode))
    return changes


def parse_log(text: str, repository: str) -> list[tuple[Commit, list[FileChange]]]:
    """Commits and their file changes from the output of `git log --format=LOG_FORMAT --raw -z`."""
    entries = []
    for chunk in text.split("\x1e")[1:]:
        fields = chunk.split("\x1f")
        if len(fields) != len(LOG_FIELDS) + 1:
            raise GitSourceError(f"{repository}: cannot read the log entry of commit {fields[0][:40]} "
                                 "(its message contains control characters \\x1e or \\x1f)", repository=repository)
        (sha, parents, author_name, author_email, authored_at, committer_name, committer_email, committed_at,
         signature, signer, subject, body, trailers, raw) = fields
        commit = Commit(sha, tuple(parents.split()), author_name, author_email, utc_text(authored_at),
                        committer_name, committer_email, utc_text(committed_at), signature, signer, subject,
                        body.strip(), parse_trailers(trailers))
        entries.append((commit, parse_raw(raw)))
    return entries


def tracked_documents(name: str, text: str) -> list[Document]:
    """The NetworkPolicy and Namespace documents of one file; other documents are not looked at."""
    return [document for index, content in parse_documents(name, text) if is_object(content)
            for document in objects_in(name, index, content) if document.obj.get("kind") in TRACKED_KINDS]


def tracked_objects(documents: Iterable[Document], path_of: Callable[[str], str]) -> dict[ObjectKey, TrackedObject]:
    """Validated objects of documents (as `collect` validates manifests), by key; ManifestError when invalid."""
    found = collect(documents)
    objects: dict[ObjectKey, TrackedObject] = {}
    for (namespace, name), policy in found.policies.items():
        document = found.origins[("NetworkPolicy", (namespace, name))]
        key = ("NetworkPolicy", namespace, name)
        objects[key] = TrackedObject(*key, path_of(document.file), policy, document.obj)
    for name, value in found.namespaces.items():
        document = found.origins[("Namespace", name)]
        objects[("Namespace", "", name)] = TrackedObject("Namespace", "", name, path_of(document.file), value,
                                                         document.obj)
    return objects


def read_blobs(repo: git.Repo, repository: str, wanted: Sequence[tuple[str, str]]) -> Iterator[tuple[str, str, bytes]]:
    """(blob, file name, content) of each (blob, file name) in order, through one `git cat-file --batch` process.

    A thread writes every request while this reads the answers, so neither git nor Python waits on a round
    trip per blob. A blob git does not have is a GitSourceError naming the file.
    """
    try:
        process = repo.git.cat_file("--batch", "--buffer", as_process=True, istream=subprocess.PIPE)
    except git.GitCommandNotFound:
        raise GitSourceError("git is not installed (the `git` command was not found)", repository=repository) from None

    def request() -> None:
        try:
            process.stdin.write("".join(f"{blob}\n" for blob, _ in wanted).encode())
            process.stdin.close()
        except (BrokenPipeError, ValueError):  # git exited, or the answers were abandoned
            pass

    writer = threading.Thread(target=request, daemon=True)
    writer.start()
    try:
        for blob, name in wanted:
            header = process.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitSourceError(f"{repository}: cannot read {name} (blob {blob})", repository=repository,
                                     path=name)
            data = process.stdout.read(int(header[2]))
            process.stdout.read(1)
            yield blob, name, data
    finally:
        process.proc.kill()
        process.proc.wait()
        process.stdout.close()
        writer.join()


def manifest_text(data: bytes, name: str) -> str:
    """A manifest file's UTF-8 text; ManifestError when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(name, None, "", "not UTF-8 text") from None


def read_manifest_files(repo: git.Repo, repository: str,
                        versions: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ManifestFile]:
    """The tracked objects of each (blob, path) file version; a version that cannot be read keeps its error.

    Each blob is read once, however many paths hold it.
    """
    paths_of: dict[str, list[str]] = {}
    for blob, path in versions:
        paths_of.setdefault(blob, []).append(path)
    wanted = [(blob, paths[0]) for blob, paths in paths_of.items()]
    parsed: dict[tuple[str, str], ManifestFile] = {}
    for blob, _, data in read_blobs(repo, repository, wanted):
        for path in paths_of[blob]:
            try:
                documents = tracked_documents(path, manifest_text(data, path))
                parsed[(blob, path)] = ManifestFile(tracked_objects(documents, lambda _, path=path: path))
            except ManifestError as error:
                parsed[(blob, path)] = ManifestFile({}, error.message)
    return parsed


def files_at(repo: git.Repo, repository: str, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(blob, mode) of every file under `paths` at a commit."""
    listing = run_git(repo, repository, "ls_tree", "-r", "-z", "--full-tree", commit, "--", *paths,
                      what=f"cannot list the files of {commit}")
    found = {}
    for entry in listing.split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            mode, _, blob = meta.split(" ")
            found[path] = (blob, mode)
    return found


class ObjectState:
    """The manifest files under the paths at one point of the history, and which files define each object."""

    def __init__(self) -> None:
        self.files: dict[str, ManifestFile] = {}
        self.holders: dict[ObjectKey, set[str]] = {}

    def set_file(self, path: str, content: ManifestFile | None) -> None:
        """Replace (None: remove) one file."""
        for key in self.files.pop(path, ManifestFile({})).objects:
            self.holders[key].discard(path)
            if not self.holders[key]:
                del self.holders[key]
        if content is not None:
            self.files[path] = content
            for key in content.objects:
                self.holders.setdefault(key, set()).add(path)

    def lookup(self, key: ObjectKey) -> TrackedObject | None:
        """The object's definition (the first file in path order when several define it)."""
        paths = self.holders.get(key)
        return self.files[min(paths)].objects[key] if paths else None

    def objects(self) -> tuple[TrackedObject, ...]:
        """Every object, sorted by key."""
        return tuple(found for key in sorted(self.holders) if (found := self.lookup(key)) is not None)


def commit_changes(state: ObjectState, versions: Mapping[tuple[str, str], ManifestFile], commit: Commit,
                   sequence: int, files: list[FileChange], approval: Approval, warnings: list[str]) -> list[Change]:
    """Apply one commit's file changes to `state`; the object changes (and unreadable files) it made."""
    updates: dict[str, ManifestFile | None] = {}
    unreadable: list[Change] = []
    for change in files:
        if change.source and change.source != change.target:
            updates[change.source] = None
        if not change.target:
            continue
        if not is_manifest(change.target, change.mode):
            updates[change.target] = None
            continue
        content = versions[(change.blob, change.target)]
        if content.error:
            previous = state.files.get(change.target)
            unreadable.append(Change(commit, sequence, "modified" if previous or change.source else "added",
                                     change.target, approval, error=content.error))
            content = ManifestFile(previous.objects if previous else {}, content.error)
        updates[change.target] = content
    touched = {key for path, content in updates.items()
               for key in (*state.files.get(path, ManifestFile({})).objects, *(content.objects if content else ()))}
    before = {key: state.lookup(key) for key in touched}
    for path, content in updates.items():
        state.set_file(path, content)
    changes = unreadable
    for key in sorted(touched):
        old, new = before[key], state.lookup(key)
        if len(state.holders.get(key, ())) > 1:
            warnings.append(f"{commit.sha[:12]}: {object_display(key)} is defined in "
                            f"{' and '.join(sorted(state.holders[key]))}; the first is used")
        if old is None and new is not None:
            changes.append(Change(commit, sequence, "added", new.path, approval, after=new))
        elif old is not None and new is None:
            changes.append(Change(commit, sequence, "deleted", old.path, approval, before=old))
        elif old is not None and new is not None and old.document != new.document:
            changes.append(Change(commit, sequence, "modified", new.path, approval, before=old, after=new))
    return changes


def replay_order(change: Change) -> tuple[int, str, str]:
    """Order in which changes happened: history order, then object, then path."""
    return change.sequence, change.object, change.path


def read_history(repository: str, rule: ApprovalRule, rev: str = "HEAD", paths: Sequence[str] = (),
                 since: str | None = None, until: str | None = None) -> History:
    """Every change to NetworkPolicies and Namespaces under `paths` on the first-parent history of `rev`.

    since/until (YYYY-MM-DD or RFC 3339) select commits by committed time, both inclusive.
    """
    paths = normalised_paths(repository, paths)
    since_text, until_text = time_bound(since, "since", False), time_bound(until, "until", True)
    with open_repository(repository) as repo:
        commit = resolve_commit(repo, repository, rev)
        log = run_git(repo, repository, "log", commit, "--first-parent", "--diff-merges=first-parent", "--root",
                      "--raw", "--no-abbrev", "-M", "-z", "--reverse", "--no-show-signature", "--no-relative",
                      "--no-color", f"--format={LOG_FORMAT}", "--", *paths, what=f"cannot read the history of {rev}")
        entries = parse_log(log, repository)
        touched = {path for _, files in entries for change in files for path in (change.source, change.target)}
        for path in paths:
            if not any(within(changed, path) for changed in touched):
                raise GitSourceError(f"{repository}: no commit in the history of {rev} touches {path!r}",
                                     hint="give paths relative to the repository's top directory",
                                     repository=repository, rev=rev, path=path)
        first = next((i for i, (c, _) in enumerate(entries) if since_text is None or c.committed_at >= since_text),
                     len(entries))
        last = max((i for i, (c, _) in enumerate(entries) if until_text is None or c.committed_at <= until_text),
                   default=-1)
        start = [] if first == 0 else [(blob, path) for path, (blob, mode) in
                                       sorted(files_at(repo, repository, entries[first - 1][0].sha, paths).items())
                                       if is_manifest(path, mode)]
        replayed = [(change.blob, change.target) for _, files in entries[first:last + 1] for change in files
                    if change.target and is_manifest(change.target, change.mode)]
        versions = read_manifest_files(repo, repository, [*start, *replayed])
        state = ObjectState()
        for blob, path in start:
            state.set_file(path, versions[(blob, path)])
        initial = state.objects()
        changes: list[Change] = []
        warnings: list[str] = []
        for sequence in range(first, last + 1):
            found, files = entries[sequence]
            reported = since_text is None or found.committed_at >= since_text
            reported = reported and (until_text is None or found.committed_at <= until_text)
            made = commit_changes(state, versions, found, sequence, files, approval_of(found, rule), warnings)
            if reported:
                changes.extend(made)
        if repo.git.rev_parse("--is-shallow-repository") == "true":
            warnings.append("the repository is a shallow clone: history before its oldest commit is missing, "
                            "and that commit shows every object as added")
    changes.sort(key=lambda c: (c.commit.committed_at, *replay_order(c)))
    return History(repository, rev, commit, paths, since_text, until_text, tuple(changes), initial, state.objects(),
                   tuple(warnings))


def read_revision(repository: str, rev: str = "HEAD", paths: Sequence[str] = ()) -> Revision:
    """The NetworkPolicies and Namespaces defined under `paths` at `rev`; an invalid manifest is a ManifestError
    naming `commit:path`, the document and the field."""
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


def effective_content(found: TrackedObject) -> Any:
    """What an object enforces: a NetworkPolicy's spec, a Namespace's labels."""
    if found.kind == "Namespace":
        return (found.document.get("metadata") or {}).get("labels") or {}
    return found.document.get("spec")


def provenance(history: History) -> tuple[Provenance, ...]:
    """For each object at the end of the history, the change that last set its current spec (a Namespace's
    labels), sorted by object.

    Read the history without since/until for a change behind every object. Changes to other fields (labels
    of a policy, annotations) and moves to another file do not count, so the change's path may be an
    earlier file than `current.path`.
    """
    last: dict[ObjectKey, Change] = {}
    for change in sorted(history.changes, key=replay_order):
        if change.after is not None and (change.before is None or
                                         effective_content(change.before) != effective_content(change.after)):
            last[change.after.key] = change
    return tuple(Provenance(found, last.get(found.key)) for found in history.final)


def with_reachability(history: History, topology: Snapshot, options: AnalysisOptions,
                      zone_of: Callable[[str], str] | None = None, level: str = "workload",
                      address_cuts: Sequence[IPBlock] = (),
                      progress: Callable[[str, int, int | None], None] | None = None) -> History:
    """The history with the connections each NetworkPolicy change opened and closed among the topology's pods.

    The topology's own policies are ignored: policies come from git, starting from `history.initial`. The
    changes of one commit are applied one at a time in object order, so each is credited with what it
    changed given the ones before it. With `zone_of` (endpoint name, workload or address range, to zone
    name), zones_opened/zones_closed group the same connections by zone pair; `address_cuts` (the CIDRs
    of external zones) keep every address range inside one zone. `progress` is called as (what, done,
    total) after each change.
    """
    # Every IP version any version of a policy uses is modelled from the start, so each delta reads alike.
    every_version = [found.value for change in history.changes for found in (change.before, change.after)
                     if found is not None and isinstance(found.value, NetworkPolicy)]
    tracker = IncrementalReachability(topology.pods, topology.topology_labels(),
                                      [o.value for o in history.initial if isinstance(o.value, NetworkPolicy)],
                                      options, level, (*address_cuts, *ip_version_cuts(every_version)))
    evaluated = [(c, c.target) for c in sorted(history.changes, key=replay_order)
                 if c.target is not None and c.target.kind == "NetworkPolicy"]
    updated: dict[int, Change] = {}
    for done, (change, found) in enumerate(evaluated, start=1):
        after = change.after.value if change.after else None
        opened, closed = tracker.apply(found.namespace, found.name, after if isinstance(after, NetworkPolicy)
                                       else None)
        updated[id(change)] = replace(
            change, opened=tuple(opened), closed=tuple(closed),
            zones_opened=tuple(roll_up(opened, zone_of)) if zone_of else None,
            zones_closed=tuple(roll_up(closed, zone_of)) if zone_of else None)
        if progress:
            progress("policy changes", done, len(evaluated))
    return replace(history, changes=tuple(updated.get(id(c), c) for c in history.changes), level=level,
                   assumptions=options.assumptions(topology.unmodelled))
