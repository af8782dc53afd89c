"""Fixtures shared across test files, built once per test run: a signing key and the demo policy repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import SIGNER, run
from tests.support.git_repos import GitRepo, build_demo


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(key path, certificate path) made by `segproof keys create` with subject SIGNER."""
    folder = tmp_path_factory.mktemp("keys")
    code, _, err = run("keys", "create", "--out", str(folder), "--subject", SIGNER)
    assert code == 0, err
    return str(folder / "signing.key"), str(folder / "signing.crt")


@pytest.fixture(scope="session")
def demo_repository(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh build of the demo policy repository (samples/git/build_demo_repo.py)."""
    target = tmp_path_factory.mktemp("git") / "netpol"
    build_demo(target)
    return str(target)


@pytest.fixture(autouse=True, scope="session")
def history_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The default cache of parsed manifest blobs in a directory of the test run, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty git repository."""
    return GitRepo(tmp_path / "repo")
