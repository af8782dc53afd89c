"""The policy repository fetched from a remote into a local cache, for unattended runs.

The cache is a bare repository at `<cache root>/<hash of the URL>`, created on first use and fetched on every
run; the branch head is read from it directly, without a working tree. The URL is given to each fetch and
never configured as a remote, and a URL holding credentials is refused: git would get them on its command
line. Credentials reach the git process through its environment only: a token as an HTTP Authorization header
scoped to the URL (git's `GIT_CONFIG_*` variables, git >= 2.31), an SSH key through GIT_SSH_COMMAND. They are
never written to disk, put on a command line or shown in a message.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import git

from compliance.errors import GitSourceError, InvalidValue

FETCHED_REF = "refs/segproof/fetched"
TOKEN_USER = "x-access-token"
SSH_SCHEMES = ("ssh", "git+ssh", "ssh+git")
CREDENTIALS_IN_URL = ("must not hold credentials: git would get them on its command line, which any local process "
                      "can read; put the token in an environment variable and name it in git.tokenEnv")


@dataclass(frozen=True)
class Credentials:
    """How to authenticate a fetch: an HTTPS token, or an SSH private key file; neither means none."""

    token: str | None = field(default=None, repr=False)
    ssh_key_file: str | None = None


@dataclass(frozen=True)
class FetchedBranch:
    """A branch head fetched into the cache: the cache's path, the URL without credentials, the branch, the commit."""

    repository: str
    url: str
    branch: str
    commit: str


def public_url(url: str) -> str:
    """The URL without credentials: no user info for HTTP(S) and others, only the user name for SSH."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.partition(":")[0]
    kept = f"{user}@{host}" if parts.scheme in SSH_SCHEMES and user else host
    return urlunsplit(parts._replace(netloc=kept))


def holds_credentials(url: str) -> bool:
    """Whether the URL carries a secret: a password, or any user info outside SSH (`https://TOKEN@host` sends the
    name as a token). An SSH user name alone (`ssh://git@host/x.git`, `git@host:x.git`) is no secret."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return False
    return ":" in parts.netloc.rpartition("@")[0] or parts.scheme not in SSH_SCHEMES


def cache_directory(cache_root: str | Path, url: str) -> Path:
    """Where the cache of a remote lives: a directory named by a hash of its URL without credentials."""
    return Path(cache_root) / hashlib.sha256(public_url(url).encode("utf-8")).hexdigest()[:16]


def git_environment(url: str, credentials: Credentials) -> dict[str, str]:
    """Environment for git commands that contact the remote: never prompt; carry the credentials."""
    environment = {"GIT_TERMINAL_PROMPT": "0"}
    if credentials.token:
        basic = base64.b64encode(f"{TOKEN_USER}:{credentials.token}".encode()).decode("ascii")
        environment.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"http.{public_url(url)}.extraHeader",
                            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"})
    if credentials.ssh_key_file:
        environment["GIT_SSH_COMMAND"] = (f"ssh -i {shlex.quote(credentials.ssh_key_file)} -o IdentitiesOnly=yes "
                                          "-o BatchMode=yes")
    return environment


def fetch_failure(error: git.GitCommandError, url: str, credentials: Credentials) -> str:
    """What git said went wrong (its `fatal:` and `error:` lines, else its last line), credentials taken out."""
    text = re.sub(r"^\s*stderr: '(.*)'\s*$", r"\1", str(error.stderr or ""), flags=re.DOTALL)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = " ".join([line for line in lines if line.startswith(("fatal:", "error:"))] or lines[-1:])
    said = (said or f"git exited with status {error.status}").replace(url, public_url(url))
    return said.replace(credentials.token, "***") if credentials.token else said


def open_cache(directory: Path, shown: str) -> git.Repo:
    """The bare cache repository, created when it does not exist yet."""
    try:
        if (directory / "HEAD").is_file():
            return git.Repo(directory)
        return git.Repo.init(directory, bare=True, mkdir=True)
    except git.GitCommandNotFound:
        raise GitSourceError("git is not installed (the `git` command was not found)", repository=shown) from None
    except (OSError, git.InvalidGitRepositoryError, git.GitCommandError) as error:
        raise GitSourceError(f"{directory}: cannot open the cache of {shown}: {error}",
                             hint="delete the directory: the next run fetches the repository again",
                             repository=shown) from None


def fetch_branch(url: str, branch: str | None, cache_root: str | Path, credentials: Credentials) -> FetchedBranch:
    """Fetch `branch` (None: the remote's default branch) of `url` into the cache under `cache_root`; its head."""
    shown = public_url(url)
    if holds_credentials(url):
        raise InvalidValue(f"{shown}: the URL {CREDENTIALS_IN_URL}")
    source = "HEAD" if branch is None else branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    with open_cache(cache_directory(cache_root, url), shown) as repo:
        try:
            repo.git.fetch("--quiet", "--no-tags", "--no-write-fetch-head", "--end-of-options", url,
                           f"+{source}:{FETCHED_REF}", env=git_environment(url, credentials))
            commit = repo.git.rev_parse("--verify", f"{FETCHED_REF}^{{commit}}")
        except git.GitCommandNotFound:
            raise GitSourceError("git is not installed (the `git` command was not found)", repository=shown) from None
        except git.GitCommandError as error:
            raise GitSourceError(f"{shown}: cannot fetch {branch or 'the default branch'}: "
                                 f"{fetch_failure(error, url, credentials)}",
                                 hint="check git.url, git.branch and the credentials (git.tokenEnv or git.sshKeyFile)",
                                 repository=shown, rev=branch or "HEAD") from None
        return FetchedBranch(str(repo.git_dir), shown, branch or "HEAD", commit)
