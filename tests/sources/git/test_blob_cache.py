"""The cache of validated manifest blobs: same history as without it, corrupted or foreign entries re-read (never
run), concurrent runs, and no cache when disabled."""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.errors import GitSourceError
from compliance.sources.git import blob_cache
from compliance.sources.git.blob_cache import HEADER, MERGE_ABOVE, BlobCache, cache_version, sound_entries
from compliance.sources.git.history import read_history
from tests.support.cilium_objects import cilium_objects
from tests.support.cli import run
from tests.support.git_repos import ROOT, GitRepo, netpol


def build_history(repo: GitRepo) -> None:
    """Versions of every kind the cache must agree on: YAML and JSON files, a blob held by two paths, a rename,
    a version that does not parse, one that is invalid, and a YAML 1.1 date JSON cannot hold."""
    repo.write("p/a.yaml", netpol("shop/a"), netpol("shop/b"))
    repo.write("p/c.json", text=json.dumps(netpol("shop/c")))
    repo.commit("Add a, b and c", when="2026-01-01T00:00:00Z")
    repo.write("p/copy.yaml", netpol("shop/a"), netpol("shop/b"))
    repo.git("mv", "p/c.json", "p/moved.json")
    repo.commit("Copy a and move c", when="2026-01-02T00:00:00Z")
    repo.write("p/a.yaml", text="kind: NetworkPolicy\nmetadata: [unclosed\n")
    repo.write("p/copy.yaml", text="kind: NetworkPolicy\nmetadata: [unclosed\n")
    repo.commit("Break a and its copy", when="2026-01-03T00:00:00Z")
    repo.write("p/a.yaml", netpol("shop/a", spec={"podSelector": {}, "policyTypes": ["Sideways"]}))
    repo.write("p/copy.yaml", netpol("shop/a", spec={"podSelector": {}, "policyTypes": ["Sideways"]}))
    repo.commit("Invalid a and copy", when="2026-01-04T00:00:00Z")
    repo.write("p/a.yaml", text="apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n"
               "  namespace: shop\n  creationTimestamp: 2026-01-05T00:00:00Z\nspec: {podSelector: {}}\n")
    repo.commit("Fix a", when="2026-01-05T00:00:00Z")


def entry_files(directory: Path) -> list[Path]:
    """The cache's files of entries."""
    return sorted((directory / cache_version()).glob("*.entries"))


def test_a_cached_read_gives_the_same_history(tmp_path: Path, repo: GitRepo) -> None:
    build_history(repo)
    cache = BlobCache(str(tmp_path / "cache"))
    uncached = read_history(repo.path)

    assert read_history(repo.path, cache=cache) == uncached
    assert len(entry_files(tmp_path / "cache")) == 1
    assert read_history(repo.path, cache=cache) == uncached  # from the cache
    assert len(entry_files(tmp_path / "cache")) == 1  # nothing new to write
    assert sorted(c.error.split(":")[0] for c in uncached.changes if c.error) == [  # each names its own file
        "p/a.yaml", "p/a.yaml", "p/copy.yaml", "p/copy.yaml"]


def test_cilium_policies_are_cached_and_read_back_equal(tmp_path: Path, repo: GitRepo) -> None:
    repo.write("p/cilium.yaml", *cilium_objects())
    repo.commit("Cilium's policies", when="2026-01-01T00:00:00Z")
    cache = BlobCache(str(tmp_path / "cache"))
    uncached = read_history(repo.path)

    assert read_history(repo.path, cache=cache) == uncached
    cached = read_history(repo.path, cache=cache)  # from the cache
    assert cached == uncached and len(entry_files(tmp_path / "cache")) == 1
    assert [(o.display, o.policy == p.policy) for o, p in zip(cached.final, uncached.final, strict=True)] == [
        ("CiliumClusterwideNetworkPolicy/dns", True), ("CiliumNetworkPolicy/payments/api", True),
        ("CiliumNetworkPolicy/payments/deny-world", True)]


def test_only_validated_files_are_kept(tmp_path: Path, repo: GitRepo) -> None:
    build_history(repo)
    cache = BlobCache(str(tmp_path / "cache"))
    read_history(repo.path, cache=cache)
    entries = sound_entries(entry_files(tmp_path / "cache")[0].read_bytes())

    assert {syntax for _, syntax in entries} == {"yaml", "json"}
    assert len(entries) == 3  # a+b (held twice), c (moved), the dated a; not the broken nor the invalid ones
    assert sorted(name for identities, _ in entries.values() for _, _, name, _ in identities) == ["a", "a", "b", "c"]


class Foreign:
    """A pickle that runs a callable when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return Path.touch, (str(self.marker),)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "version", "digest", "foreign"])
def test_a_corrupted_entry_is_read_again_never_trusted(tmp_path: Path, repo: GitRepo, damage: str) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a")
    cache = BlobCache(str(tmp_path / "cache"))
    expected = read_history(repo.path, cache=cache)
    [file] = entry_files(tmp_path / "cache")
    data = file.read_bytes()
    header, _, payload = data.partition(b"\n")
    foreign = pickle.dumps({(repo.git("rev-parse", "HEAD:p/a.yaml"), "yaml"): Foreign(tmp_path / "ran")})
    damaged = {
        "truncated": data[:len(data) // 2],
        "flipped": data.replace(b"shop", b"shoq"),
        "version": data,
        "digest": header[:-1] + (b"0" if header[-1:] != b"0" else b"1") + b"\n" + payload,
        "foreign": HEADER + hashlib.sha256(foreign).hexdigest().encode() + b"\n" + foreign,
    }[damage]
    if damage == "version":  # an entry of another version is in another folder, never read
        other = tmp_path / "cache" / "0-0.0.0"
        other.mkdir()
        file.rename(other / file.name)
        (other / file.name).write_bytes(data.replace(b"shop", b"shoq"))
    else:
        file.write_bytes(damaged)
    assert cache.load([(repo.git("rev-parse", "HEAD:p/a.yaml"), "yaml")]) == {}
    assert not (tmp_path / "ran").exists()

    assert read_history(repo.path, cache=cache) == expected
    assert cache.load([(repo.git("rev-parse", "HEAD:p/a.yaml"), "yaml")])  # written again


def test_a_forged_value_pickle_runs_nothing_and_is_an_error(tmp_path: Path, repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a")
    cache = BlobCache(str(tmp_path / "cache"))
    read_history(repo.path, cache=cache)
    [file] = entry_files(tmp_path / "cache")
    entries = sound_entries(file.read_bytes())
    forged = pickle.dumps({key: (identities, pickle.dumps(((Foreign(tmp_path / "ran"), {}),)))
                           for key, (identities, _) in entries.items()})
    file.write_bytes(HEADER + hashlib.sha256(forged).hexdigest().encode() + b"\n" + forged)
    [change] = read_history(repo.path, cache=cache).changes  # the replay needs no value

    with pytest.raises(GitSourceError, match="does not hold model values"):
        assert change.after and change.after.value
    assert not (tmp_path / "ran").exists()


def test_cached_documents_compare_as_parsed_ones(tmp_path: Path, repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a")
    repo.write("p/a.yaml", text=json.dumps(dict(reversed(netpol("shop/a").items()))))  # the same document
    repo.commit("Reformat a")
    repo.write("p/a.yaml", netpol("shop/a", spec={"podSelector": {"matchLabels": {"app": "web"}}}))
    repo.commit("Narrow a")
    cache = BlobCache(str(tmp_path / "cache"))
    uncached = read_history(repo.path)
    read_history(repo.path, cache=cache)
    cached = read_history(repo.path, cache=cache)

    assert [(c.change, c.object) for c in cached.changes] == [(c.change, c.object) for c in uncached.changes]
    assert cached == uncached  # and, looked at, the same objects


def test_concurrent_runs_share_the_cache(tmp_path: Path, repo: GitRepo) -> None:
    for number in range(30):
        repo.write(f"p/{number}.yaml", netpol(f"shop/p{number}"))
        repo.commit(f"Add p{number}")
    script = ("import sys; from compliance.sources.git.history import read_history; "
              "from compliance.sources.git.blob_cache import BlobCache; "
              "print(len(read_history(sys.argv[1], cache=BlobCache(sys.argv[2])).changes))")
    runs = [subprocess.Popen([sys.executable, "-c", script, repo.path, str(tmp_path / "cache")], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True) for _ in range(4)]

    assert [process.communicate()[0].strip() for process in runs] == ["30"] * 4
    assert all(process.returncode == 0 for process in runs)
    assert len(BlobCache(str(tmp_path / "cache")).load(
        [(repo.git("rev-parse", f"HEAD:p/{n}.yaml"), "yaml") for n in range(30)])) == 30
    assert not list((tmp_path / "cache" / cache_version()).glob(".*.tmp"))


def test_many_files_are_merged_into_one(tmp_path: Path, repo: GitRepo) -> None:
    cache = BlobCache(str(tmp_path / "cache"))
    for number in range(MERGE_ABOVE + 2):
        repo.write(f"p/{number}.yaml", netpol(f"shop/p{number}"))
        repo.commit(f"Add p{number}")
        read_history(repo.path, cache=cache)

    assert len(entry_files(tmp_path / "cache")) <= MERGE_ABOVE + 1
    assert len(cache.load([(repo.git("rev-parse", f"HEAD:p/{n}.yaml"), "yaml")
                           for n in range(MERGE_ABOVE + 2)])) == MERGE_ABOVE + 2


def test_the_cli_cache_options(tmp_path: Path, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    assert run("history", "--git", repo.path, "--no-cache", "-o", "json")[0] == 0
    assert not (tmp_path / "xdg").exists()
    assert run("history", "--git", repo.path, "--cache-dir", str(tmp_path / "chosen"), "-o", "json")[0] == 0
    assert len(entry_files(tmp_path / "chosen")) == 1 and not (tmp_path / "xdg").exists()
    assert run("history", "--git", repo.path, "-o", "json")[0] == 0
    assert len(entry_files(tmp_path / "xdg" / "segproof" / "history")) == 1
    code, _, err = run("history", "--git", repo.path, "--no-cache", "--cache-dir", str(tmp_path / "chosen"))
    assert code == 2 and "--no-cache and --cache-dir exclude each other" in err


def test_an_unwritable_cache_is_no_cache(tmp_path: Path, repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a")
    (tmp_path / "file").write_text("not a directory")

    assert read_history(repo.path, cache=BlobCache(str(tmp_path / "file"))) == read_history(repo.path)


def test_a_value_the_cache_could_not_load_back_is_not_kept(tmp_path: Path, repo: GitRepo,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.write("p/b.yaml", netpol("shop/b", spec={"podSelector": {}, "egress": [{"to": [{"ipBlock": {
        "cidr": "10.0.0.0/8"}}]}]}))
    repo.commit("Add a, and b with an address range")
    monkeypatch.delitem(blob_cache.VALUE_TYPES, ("ipaddress", "IPv4Network"))
    monkeypatch.setattr(blob_cache, "loadable", functools.cache(blob_cache.loadable.__wrapped__))  # nothing known
    cache = BlobCache(str(tmp_path / "cache"))

    assert read_history(repo.path, cache=cache) == read_history(repo.path)
    assert [name for identities, _ in sound_entries(entry_files(tmp_path / "cache")[0].read_bytes()).values()
            for _, _, name, _ in identities] == ["a"]
    assert read_history(repo.path, cache=cache) == read_history(repo.path)
