"""Git provenance benchmark: reading a long history, and reachability deltas per commit.

    python3 benchmarks/history.py [--commits 5000] [--delta-commits 1000] [--pods 1000]

Builds repositories with `git fast-import` (one commit adding the policies of a generated cluster, then
commits that change ports, add rules, rename files and delete and restore policies), then times (best of
three): the raw `git log` that `read_history` runs; that log parsed into commits and files with their
approval evidence; reading and YAML-parsing every changed manifest version on its own (with the log,
the least any reader that identifies objects at each revision must do: the floor); `read_history` itself
(which also validates every version) with the approval evidence, without a cache (goal: at most 1.5 times the
floor), filling an empty cache, and again from that cache (goal: at most twice the raw log), then from the cache
with every changed object built; and `with_reachability` (the connections each change opened and closed on the
cluster's pods). Prints a markdown table of wall and CPU seconds (this process and its git children), each goal
in CPU seconds and whether it holds.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ryaml
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from compliance.analysis.approvals import approval_of  # noqa: E402
from compliance.analysis.history_effects import assess_history, with_reachability  # noqa: E402
from compliance.cli.main import COLLECTOR_THRESHOLDS  # noqa: E402
from compliance.model.history import History  # noqa: E402
from compliance.netpol.options import AnalysisOptions  # noqa: E402
from compliance.scope import ChangeApproval  # noqa: E402
from compliance.sources.git.blob_cache import BlobCache  # noqa: E402
from compliance.sources.git.history import LOG_FORMAT, parse_log, read_history  # noqa: E402
from compliance.sources.git.manifests import is_manifest  # noqa: E402
from compliance.sources.git.repository import open_repository, read_blobs  # noqa: E402
from compliance.sources.manifests import snapshot_of_objects  # noqa: E402


def blob(text: str) -> bytes:
    """A fast-import inline data block."""
    data = text.encode()
    return b"data %d\n%s\n" % (len(data), data)


def build_repository(target: Path, policies: list[dict], commits: int, seed: int = 7) -> None:
    """A repository with the policies added at once, then `commits` changes."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    files = {f"policies/{p['metadata']['namespace']}/{p['metadata']['name']}.yaml": p for p in policies}
    stream = bytearray()
    moment = 1_767_225_600  # 2026-01-01

    def commit(number: int, message: str, operations: bytes) -> None:
        nonlocal moment
        moment += 600
        author = rng.choice(["Alice <alice@example.com>", "Bob <bob@example.com>", "Carol <carol@example.com>"])
        stream.extend(b"commit refs/heads/main\nmark :%d\n" % number)
        stream.extend(f"author {author} {moment} +0000\ncommitter {author} {moment} +0000\n".encode())
        stream.extend(blob(message))
        if number > 1:
            stream.extend(b"from :%d\n" % (number - 1))
        stream.extend(operations)

    commit(1, "Add the policies (#1)", b"".join(b"M 100644 inline %s\n%s" % (path.encode(), blob(yaml.safe_dump(p)))
                                                for path, p in sorted(files.items())))
    paths = sorted(files)
    for number in range(2, commits + 2):
        path = rng.choice(paths)
        policy = files[path]
        kind = number % 50
        if kind == 0:  # rename
            new_path = path.replace(".yaml", f"-{number}.yaml")
            operations = b"R %s %s\n" % (path.encode(), new_path.encode())
            files[new_path] = files.pop(path)
            paths[paths.index(path)] = new_path
        elif kind == 1:  # delete and restore in the same commit series
            operations = b"D %s\n" % path.encode()
            files.pop(path)
            paths.remove(path)
        else:
            spec = policy["spec"]
            rule = {"from": [{"podSelector": {"matchLabels": {"tier": rng.choice(["web", "api", "worker"])}}}],
                    "ports": [{"port": rng.choice([80, 443, 8080, 9090, 5432])}]}
            spec["ingress"] = [*spec.get("ingress", [])[-2:], rule]
            spec.setdefault("policyTypes", ["Ingress"])
            operations = b"M 100644 inline %s\n%s" % (path.encode(), blob(yaml.safe_dump(policy)))
        message = f"Change {path} (#{number})" if number % 3 else f"Direct change to {path}"
        commit(number, message, operations)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=target, input=bytes(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=target, check=True)


@dataclass(frozen=True)
class Timing:
    """The shortest wall and CPU times (this process and its children) of several runs."""

    wall: float
    cpu: float

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)

    def cells(self) -> str:
        """Its table cells."""
        return f"{self.wall:.2f} | {self.cpu:.2f}"

    def times(self, other: Timing) -> str:
        """How many times `other` it takes, wall (CPU)."""
        return f"{self.wall / other.wall:.1f}x ({self.cpu / other.cpu:.1f}x CPU)"


def cpu_seconds() -> float:
    """User and system time of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(run: Callable[[], Any], times: int = 3, before: Callable[[], Any] = lambda: None) -> tuple[Timing, Any]:
    """The shortest wall and CPU times of `times` runs (each after `before`, untimed), and the last run's result."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(times):
        before()
        started, used = time.perf_counter(), cpu_seconds()
        result = run()
        wall, cpu = min(wall, time.perf_counter() - started), min(cpu, cpu_seconds() - used)
    return Timing(wall, cpu), result


def raw_log(repository: Path) -> bytes:
    """The output of the `git log` that read_history parses."""
    return subprocess.run(["git", "log", "HEAD", "--first-parent", "--diff-merges=first-parent", "--root", "--raw",
                           "--no-abbrev", "-M", "-z", "--reverse", "--no-show-signature", "--no-relative",
                           "--no-color", f"--format={LOG_FORMAT}"],
                          cwd=repository, check=True, capture_output=True).stdout


def blob_texts(repository: Path, blobs: list[str]) -> list[str]:
    """The texts of blobs, read as read_history reads them (one pipelined `git cat-file --batch`)."""
    with open_repository(str(repository)) as repo:
        return [data.decode() for _, _, data in read_blobs(repo, str(repository), [(b, b) for b in blobs])]


def history_rows(repository: Path, commits: int, cache: Path) -> list[str]:
    """Table rows for reading a long history, with what any exact reader must do at least: run the log, read
    each changed manifest version and parse its YAML (here with the Rust parser alone, no validation)."""
    log_time, log = best_of(lambda: raw_log(repository))
    blobs = sorted({change.blob for _, files in parse_log(log.decode(), str(repository), [])
                    for change in files if change.target and is_manifest(change.target, change.mode)})
    pass_time, _ = best_of(lambda: [approval_of(commit, ChangeApproval()) for commit, _ in
                                    parse_log(raw_log(repository).decode(), str(repository), [])])
    read_time, texts = best_of(lambda: blob_texts(repository, blobs))
    parse_time, _ = best_of(lambda: [ryaml.loads_all(text) for text in texts])
    floor = log_time + read_time + parse_time

    def assessed(blob_cache: BlobCache | None) -> Any:
        return assess_history(read_history(str(repository), cache=blob_cache), ChangeApproval())

    uncached_time, history = best_of(lambda: assessed(None))
    filling_time, _ = best_of(lambda: assessed(BlobCache(str(cache))),
                              before=lambda: shutil.rmtree(cache, ignore_errors=True))
    cached_time, again = best_of(lambda: assessed(BlobCache(str(cache))))
    built_time, _ = best_of(lambda: built(read_history(str(repository), cache=BlobCache(str(cache)))))
    assert again == history
    changes = f"{len(history.changes):,}"
    return [f"| raw `git log` | {commits:,} | | {log_time.cells()} | | |",
            f"| the log pass: that log parsed into commits and files, with approval evidence "
            f"({pass_time.times(log_time)} the raw log) | {commits:,} | | {pass_time.cells()} | | |",
            f"| `git cat-file --batch` of the {len(blobs):,} changed manifest versions | | | {read_time.cells()} | | |",
            f"| their YAML parsed by ryaml alone | | | {parse_time.cells()} | | |",
            f"| floor: raw log + reading + YAML parsing of the changed versions "
            f"({floor.times(log_time)} the raw log) | | | {floor.cells()} | | |",
            f"| `read_history` with approvals, no cache ({uncached_time.times(floor)} the floor) | {commits:,} | "
            f"{changes} | {uncached_time.cells()} | {goal(uncached_time, floor, 1.5, 'the floor')} |",
            f"| `read_history` with approvals, filling an empty cache ({filling_time.times(floor)} the floor) | "
            f"{commits:,} | {changes} | {filling_time.cells()} | | |",
            f"| `read_history` with approvals again, from the cache ({cached_time.times(log_time)} the raw log) | "
            f"{commits:,} | {changes} | {cached_time.cells()} | {goal(cached_time, log_time, 2, 'the raw log')} |",
            f"| `read_history` from the cache, every changed object's value and document built "
            f"({built_time.times(log_time)} the raw log) | {commits:,} | {changes} | {built_time.cells()} | | |"]


def built(history: History) -> History:
    """The history with the value and document of every object its changes name built, as the consumers that
    look at each (JSON output, reachability deltas) build them."""
    for change in history.changes:
        for found in (change.before, change.after):
            if found is not None:
                found.content.loaded()
    return history


def goal(measured: Timing, base: Timing, most: float, name: str) -> str:
    """The goal and met cells: CPU seconds at most `most` times `base` (`name`)."""
    return f"≤ {most:g}x CPU {name} | {'yes' if measured.cpu <= most * base.cpu else 'no'}"


def main() -> None:
    """Print the results table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--delta-commits", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=1000)
    args = parser.parse_args()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)  # as `segproof history` runs
    cluster = generate(args.pods)
    policies = [o for o in cluster.manifests if o["kind"] == "NetworkPolicy"]
    topology = snapshot_of_objects([o for o in cluster.manifests if o["kind"] != "NetworkPolicy"], {}, "now")
    print("| measurement | commits | changes | seconds | CPU seconds | goal | met |")
    print("|---|---:|---:|---:|---:|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        long_history = Path(scratch) / "long"
        build_repository(long_history, policies, args.commits)
        print("\n".join(history_rows(long_history, args.commits + 1, Path(scratch) / "cache")))
        short_history = Path(scratch) / "short"
        build_repository(short_history, policies, args.delta_commits)
        history = assess_history(read_history(str(short_history)), ChangeApproval())
        deltas, _ = best_of(lambda: with_reachability(history, topology, AnalysisOptions()), times=1)
        print(f"| reachability deltas, {cluster.pods:,} pods | {args.delta_commits + 1:,} | "
              f"{len(history.changes):,} | {deltas.cells()} | | |")


if __name__ == "__main__":
    main()
