"""Fetching the policy repository into the cache: real repositories over file:// and a real local HTTP server."""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from compliance.errors import GitSourceError, InvalidValue
from compliance.sources.git.remote import (
    FETCHED_REF,
    Credentials,
    cache_directory,
    fetch_branch,
    git_environment,
    holds_credentials,
    public_url,
)
from tests.support.git_repos import GitRepo, netpol

TOKEN = "s3cret-token-value"


@pytest.fixture
def remote(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "remote")
    repo.write("policies/a.yaml", netpol("shop/deny"))
    repo.commit("first")
    return repo


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pw@git.example.com/x.git", "https://git.example.com/x.git"),
    ("https://TOKEN@git.example.com:8443/x.git", "https://git.example.com:8443/x.git"),
    ("ssh://git:pw@git.example.com/x.git", "ssh://git@git.example.com/x.git"),
    ("git@git.example.com:platform/x.git", "git@git.example.com:platform/x.git"),
    ("file:///srv/x.git", "file:///srv/x.git"),
])
def test_urls_are_shown_without_credentials(url: str, shown: str) -> None:
    assert public_url(url) == shown


def test_the_cache_is_named_by_the_url_without_credentials(tmp_path: Path) -> None:
    assert cache_directory(tmp_path, "https://a:b@h/x.git") == cache_directory(tmp_path, "https://h/x.git")
    assert cache_directory(tmp_path, "https://h/x.git") != cache_directory(tmp_path, "https://h/y.git")


def test_credentials_travel_in_the_environment_only() -> None:
    environment = git_environment("https://u:p@git.example.com/x.git", Credentials(token=TOKEN))
    assert environment["GIT_CONFIG_KEY_0"] == "http.https://git.example.com/x.git.extraHeader"
    assert environment["GIT_CONFIG_VALUE_0"] == (
        "Authorization: Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode())
    assert environment["GIT_TERMINAL_PROMPT"] == "0"
    ssh = git_environment("ssh://git@h/x.git", Credentials(ssh_key_file="/keys/deploy key"))
    assert ssh["GIT_SSH_COMMAND"] == "ssh -i '/keys/deploy key' -o IdentitiesOnly=yes -o BatchMode=yes"
    assert TOKEN not in repr(Credentials(token=TOKEN))


def test_fetching_follows_the_branch_and_keeps_nothing_secret(remote: GitRepo, tmp_path: Path) -> None:
    url = f"file://{remote.path}"
    first = fetch_branch(url, "main", tmp_path / "cache", Credentials(token=TOKEN))
    assert (first.url, first.branch, first.commit) == (url, "main", remote.git("rev-parse", "HEAD"))
    assert Path(first.repository) == cache_directory(tmp_path / "cache", url)
    remote.write("policies/b.yaml", netpol("shop/other"))
    second = remote.commit("second", when="2026-01-02T12:00:00+00:00")
    assert fetch_branch(url, "main", tmp_path / "cache", Credentials()).commit == second
    remote.git("reset", "-q", "--hard", "HEAD~1")
    remote.write("policies/c.yaml", netpol("shop/third"))
    rewritten = remote.commit("rewritten history", when="2026-01-03T12:00:00+00:00")
    assert fetch_branch(url, None, tmp_path / "cache", Credentials()).commit == rewritten
    stored = b"".join(path.read_bytes() for path in (tmp_path / "cache").rglob("*") if path.is_file())
    assert TOKEN.encode() not in stored and remote.path.encode() not in stored
    assert (Path(first.repository) / FETCHED_REF).is_file() or "refs/segproof/fetched" in (
        Path(first.repository) / "packed-refs").read_text()


def test_a_missing_branch_or_repository_is_exit_3_naming_the_url(remote: GitRepo, tmp_path: Path) -> None:
    with pytest.raises(GitSourceError) as caught:
        fetch_branch(f"file://{remote.path}", "release", tmp_path / "cache", Credentials())
    assert caught.value.exit_code == 3
    assert caught.value.message.startswith(f"file://{remote.path}: cannot fetch release: ")
    assert "refs/heads/release" in caught.value.message
    with pytest.raises(GitSourceError, match="does not appear to be a git repository"):
        fetch_branch(f"file://{tmp_path}/nowhere", "main", tmp_path / "cache", Credentials())


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers 404 to everything, remembering the Authorization headers it was sent."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        RecordingHandler.seen.append(self.headers.get("Authorization"))
        self.send_error(404)

    def log_message(self, *_arguments: object) -> None:
        """Quiet."""


@pytest.fixture
def http_remote() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RecordingHandler.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/platform/netpol.git"
    server.shutdown()
    thread.join()


def test_the_token_is_sent_to_the_server_and_never_shown(http_remote: str, tmp_path: Path) -> None:
    with pytest.raises(GitSourceError) as caught:
        fetch_branch(http_remote, "main", tmp_path / "cache", Credentials(token=TOKEN))
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert expected in RecordingHandler.seen
    message = caught.value.message + caught.value.hint
    assert message.startswith(f"{http_remote}: cannot fetch main: ")
    assert TOKEN not in message
    stored = b"".join(path.read_bytes() for path in (tmp_path / "cache").rglob("*") if path.is_file())
    assert TOKEN.encode() not in stored


@pytest.mark.parametrize(("url", "refused"), [
    ("https://user:token@git.example.com/x.git", True),
    ("https://ghp_token@git.example.com/x.git", True),
    ("http://user:@git.example.com/x.git", True),
    ("ssh://git:pw@git.example.com/x.git", True),
    ("ssh://git@git.example.com/x.git", False),
    ("git+ssh://git@git.example.com/x.git", False),
    ("git@git.example.com:platform/x.git", False),
    ("https://git.example.com/team@x.git", False),
    ("file:///srv/x.git", False),
])
def test_credentials_in_the_url_are_recognised(url: str, refused: bool) -> None:
    assert holds_credentials(url) is refused


def test_a_url_holding_credentials_is_refused_before_git_runs(http_remote: str, tmp_path: Path) -> None:
    with_password = http_remote.replace("http://", "http://someone:p4ssw0rd@")
    with pytest.raises(InvalidValue) as caught:
        fetch_branch(with_password, "main", tmp_path / "cache", Credentials())
    assert caught.value.exit_code == 2
    assert caught.value.message == (f"{http_remote}: the URL must not hold credentials: git would get them on its "
                                    "command line, which any local process can read; put the token in an environment "
                                    "variable and name it in git.tokenEnv")
    assert RecordingHandler.seen == [] and not (tmp_path / "cache").exists()
