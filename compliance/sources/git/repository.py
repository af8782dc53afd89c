"""Git plumbing for reading policy manifests: opening a repository, running git, resolving revisions and paths,
listing a tree and reading many blobs through one pipelined `git cat-file --batch`."""

from __future__ import annotations

import posixpath
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import git

from compliance.errors import GitSourceError

REGULAR_FILE_MODES = ("100644", "100755")


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
