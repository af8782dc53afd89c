"""Git provenance benchmark: reading a long history, and reachability deltas per commit.

    python3 benchmarks/history.py [--commits 5000] [--delta-commits 1000] [--pods 1000]

Builds repositories with `git fast-import` (one commit adding the policies of a generated cluster, then
commits that change ports, add rules, rename files and delete and restore policies), then times (best of
three): the raw `git log` that `read_history` runs; that log parsed into commits and files with their
approval evidence; reading and YAML-parsing every changed manifest version on its own (with the log,
the least any reader that identifies objects at each revision must do); `read_history` itself (which
also validates every version); and `with_reachability` (the connections each change opened and closed
on the cluster's pods). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
from compliance.netpol.options import AnalysisOptions  # noqa: E402
from compliance.scope import ChangeApproval  # noqa: E402
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


def best_of(run: Callable[[], Any], times: int = 3) -> tuple[float, Any]:
    """The shortest wall time of `times` runs, and the last run's result."""
    best, result = float("inf"), None
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


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


def history_rows(repository: Path, commits: int) -> list[str]:
    """Table rows for reading a long history, with what any exact reader must do at least: run the log, read
    each changed manifest version and parse its YAML (here with the Rust parser alone, no validation)."""
    log_seconds, log = best_of(lambda: raw_log(repository))
    blobs = sorted({change.blob for _, files in parse_log(log.decode(), str(repository), [])
                    for change in files if change.target and is_manifest(change.target, change.mode)})
    pass_seconds, _ = best_of(lambda: [approval_of(commit, ChangeApproval()) for commit, _ in
                                       parse_log(raw_log(repository).decode(), str(repository), [])])
    read_seconds, texts = best_of(lambda: blob_texts(repository, blobs))
    parse_seconds, _ = best_of(lambda: [ryaml.loads_all(text) for text in texts])
    history_seconds, history = best_of(lambda: assess_history(read_history(str(repository)), ChangeApproval()))
    floor = log_seconds + read_seconds + parse_seconds
    return [f"| raw `git log` | {commits:,} | | {log_seconds:.2f} |",
            f"| the log pass: that log parsed into commits and files, with approval evidence "
            f"({pass_seconds / log_seconds:.1f}x the raw log) | {commits:,} | | {pass_seconds:.2f} |",
            f"| `git cat-file --batch` of the {len(blobs):,} changed manifest versions | | | {read_seconds:.2f} |",
            f"| their YAML parsed by ryaml alone | | | {parse_seconds:.2f} |",
            f"| floor: raw log + reading + YAML parsing of the changed versions "
            f"({floor / log_seconds:.1f}x the raw log) | | | {floor:.2f} |",
            f"| `read_history` ({history_seconds / log_seconds:.1f}x the raw log) | {commits:,} | "
            f"{len(history.changes):,} | {history_seconds:.2f} |"]


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
    print("| measurement | commits | changes | seconds |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        long_history = Path(scratch) / "long"
        build_repository(long_history, policies, args.commits)
        print("\n".join(history_rows(long_history, args.commits + 1)))
        short_history = Path(scratch) / "short"
        build_repository(short_history, policies, args.delta_commits)
        history = assess_history(read_history(str(short_history)), ChangeApproval())
        started = time.perf_counter()
        with_reachability(history, topology, AnalysisOptions())
        deltas = time.perf_counter() - started
        print(f"| reachability deltas, {cluster.pods:,} pods | {args.delta_commits + 1:,} | "
              f"{len(history.changes):,} | {deltas:.2f} |")


if __name__ == "__main__":
    main()
