"""The first-parent history of the policy manifests: which policy (NetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy) or Namespace changed in which commit.

History is read in one `git log` pass over the first-parent history of a revision (what landed on the
branch; a merge is diffed against its first parent), with blob ids from `--raw`. File contents come
from one `git cat-file --batch` process fed all at once, and each blob is parsed once. Objects are identified
by kind/namespace/name (cluster-scoped kinds by kind/name) as parsed from the YAML, so renames, moves between
files and multi-document files are followed; a file that cannot be parsed at some revision is reported as an
error on that change and its last readable content stands in until it is fixed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compliance.errors import GitSourceError, InvalidValue
from compliance.model.history import Change, Commit, History, ObjectKey, TrackedObject, object_display, replay_order
from compliance.sources.git.blob_cache import BlobCache
from compliance.sources.git.manifests import ManifestFile, is_manifest, read_manifest_files
from compliance.sources.git.repository import (
    files_at,
    normalised_paths,
    open_repository,
    resolve_commit,
    run_git,
    within,
)
from compliance.times import format_utc

LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GS", "%s", "%b", "%(trailers:unfold)")
LOG_FORMAT = "%x1e" + "%x1f".join(LOG_FIELDS) + "%x1f"
UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00")  # already canonical but for Z


@dataclass(frozen=True)
class FileChange:
    """One file in a commit's `--raw` diff: `source` is the old path ("" when added or copied), `target` the new
    ("" when deleted); `blob` and `mode` are the new version's."""

    source: str
    target: str
    blob: str
    mode: str


def commit_time(text: str, commit: str, field: str, warnings: list[str]) -> str:
    """A time of a commit as git prints it (ISO 8601 with offset), as RFC 3339 UTC (`2026-01-05T08:00:00Z`).

    git accepts any timestamp and any four-digit offset (`99999999999999 +9999` passes fsck), so a commit can
    carry a time that names no moment: it is kept with the time "" and a warning, never refused, since a shared
    history cannot be rewritten and one such commit would otherwise block every assessment of the repository.
    """
    try:
        moment = datetime.datetime.fromisoformat(text)
        return text[:19] + "Z" if UTC_TIME.fullmatch(text) else format_utc(moment)
    except (ValueError, OverflowError):
        warnings.append(f"commit {commit[:12]}: the {field} time {text!r} is not a valid time; the commit is kept "
                        "without it and counts as within every --since/--until window")
        return ""


def in_window(moment: str, since: str | None, until: str | None) -> bool:
    """Whether a commit's time lies in since..until (both inclusive); one without a valid time ("") always does,
    since nothing shows it lies outside."""
    return not moment or ((since is None or moment >= since) and (until is None or moment <= until))


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
        return format_utc(moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc))
    except (ValueError, OverflowError):
        raise InvalidValue(f"--{option}: invalid date {text!r}",
                           hint="use YYYY-MM-DD or RFC 3339, e.g. 2026-07-01T00:00:00Z") from None


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


def parse_log(text: str, repository: str, warnings: list[str]) -> list[tuple[Commit, list[FileChange]]]:
    """Commits and their file changes from the output of `git log --format=LOG_FORMAT --raw -z`."""
    entries = []
    for chunk in text.split("\x1e")[1:]:
        fields = chunk.split("\x1f")
        if len(fields) != len(LOG_FIELDS) + 1:
            raise GitSourceError(f"{repository}: cannot read the log entry of commit {fields[0][:40]} "
                                 "(its message contains control characters \\x1e or \\x1f)", repository=repository)
        (sha, parents, author_name, author_email, authored_at, committer_name, committer_email, committed_at,
         signature, signer, subject, body, trailers, raw) = fields
        commit = Commit(sha, tuple(parents.split()), author_name, author_email,
                        commit_time(authored_at, sha, "author", warnings), committer_name, committer_email,
                        commit_time(committed_at, sha, "committer", warnings), signature, signer, subject,
                        body.strip(), parse_trailers(trailers))
        entries.append((commit, parse_raw(raw)))
    return entries


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
                   sequence: int, files: list[FileChange], warnings: list[str]) -> list[Change]:
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
                                     change.target, error=content.error))
            content = ManifestFile(previous.objects if previous else {}, content.error)
        updates[change.target] = content
    touched = {key for path, content in updates.items()
               for key in (*state.files.get(path, ManifestFile({})).objects, *(content.objects if content else ()))}
    before = {key: state.lookup(key) for key in touched}
    for path, update in updates.items():
        state.set_file(path, update)
    changes = unreadable
    for key in sorted(touched):
        old, new = before[key], state.lookup(key)
        if len(state.holders.get(key, ())) > 1:
            warnings.append(f"{commit.sha[:12]}: {object_display(key)} is defined in "
                            f"{' and '.join(sorted(state.holders[key]))}; the first is used")
        if old is None and new is not None:
            changes.append(Change(commit, sequence, "added", new.path, after=new))
        elif old is not None and new is None:
            changes.append(Change(commit, sequence, "deleted", old.path, before=old))
        elif old is not None and new is not None and not old.content.same_document(new.content):
            changes.append(Change(commit, sequence, "modified", new.path, before=old, after=new))
    return changes


def read_history(repository: str, rev: str = "HEAD", paths: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, cache: BlobCache | None = None) -> History:
    """Every change to policies and Namespaces under `paths` on the first-parent history of `rev`.

    since/until (YYYY-MM-DD or RFC 3339) select commits by committed time, both inclusive; `cache` keeps the
    parsed manifest versions for the next read.
    """
    paths = normalised_paths(repository, paths)
    since_text, until_text = time_bound(since, "since", False), time_bound(until, "until", True)
    with open_repository(repository) as repo:
        commit = resolve_commit(repo, repository, rev)
        log = run_git(repo, repository, "log", commit, "--first-parent", "--diff-merges=first-parent", "--root",
                      "--raw", "--no-abbrev", "-M", "-z", "--reverse", "--no-show-signature", "--no-relative",
                      "--no-color", f"--format={LOG_FORMAT}", "--", *paths, what=f"cannot read the history of {rev}")
        warnings: list[str] = []
        entries = parse_log(log, repository, warnings)
        touched = {path for _, files in entries for change in files for path in (change.source, change.target)}
        for path in paths:
            if not any(within(changed, path) for changed in touched):
                raise GitSourceError(f"{repository}: no commit in the history of {rev} touches {path!r}",
                                     hint="give paths relative to the repository's top directory",
                                     repository=repository, rev=rev, path=path)
        first = next((i for i, (c, _) in enumerate(entries) if in_window(c.committed_at, since_text, None)),
                     len(entries))
        last = max((i for i, (c, _) in enumerate(entries) if in_window(c.committed_at, None, until_text)), default=-1)
        start = [] if first == 0 else [(blob, path) for path, (blob, mode) in
                                       sorted(files_at(repo, repository, entries[first - 1][0].sha, paths).items())
                                       if is_manifest(path, mode)]
        replayed = [(change.blob, change.target) for _, files in entries[first:last + 1] for change in files
                    if change.target and is_manifest(change.target, change.mode)]
        versions = read_manifest_files(repo, repository, [*start, *replayed], cache)
        state = ObjectState()
        for blob, path in start:
            state.set_file(path, versions[(blob, path)])
        initial = state.objects()
        changes: list[Change] = []
        for sequence in range(first, last + 1):
            found, files = entries[sequence]
            made = commit_changes(state, versions, found, sequence, files, warnings)
            if in_window(found.committed_at, since_text, until_text):
                changes.extend(made)
        if repo.git.rev_parse("--is-shallow-repository") == "true":
            warnings.append("the repository is a shallow clone: history before its oldest commit is missing, "
                            "and that commit shows every object as added")
    changes.sort(key=lambda c: (c.commit.committed_at, *replay_order(c)))
    return History(repository, rev, commit, paths, since_text, until_text, tuple(changes), initial, state.objects(),
                   tuple(warnings))
