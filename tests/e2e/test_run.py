"""`segproof run` end to end: a real policy repository fetched over file://, signed packs, a chained ledger with
retention, the run lock, and configuration errors naming their key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compliance.cli import main
from compliance.evidence.ledger import read_ledger
from compliance.evidence.run_lock import run_lock
from compliance.netpol.options import AnalysisOptions
from compliance.report.run_output import run_summary
from compliance.resources import resource_dir
from compliance.workflows.run_unattended import run as run_once
from tests.support.cli import SIGNER
from tests.support.renderers import placeholder_report

SAMPLES = resource_dir("samples")
TOKEN = "run-test-token-4f2a"
MOMENTS = ("2026-03-31T12:00:00Z", "2026-06-30T12:00:00Z", "2026-09-30T12:00:00Z")
HELD_SECONDS = 1.0


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one segproof command, with the git token in the environment."""
    result = CliRunner(env={"SEGPROOF_TEST_TOKEN": TOKEN}).invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write_config(folder: Path, demo_repository: str, keys: tuple[str, str] | None, trust: bool = False,
                 **changes: Any) -> Path:
    """A run configuration in `folder`, its scope beside it (a relative path), packs under `folder/packs`; with
    `trust`, the signing certificate is also the trust anchor each run verifies the chain against."""
    (folder / "scope.yaml").write_text((SAMPLES / "scope.yaml").read_text())
    document = {"apiVersion": "segproof/v1", "kind": "RunConfig",
                "source": {"manifests": [str(SAMPLES / "cluster")]}, "scope": "scope.yaml",
                "frameworks": ["pci-dss-4.0.1"],
                "git": {"url": f"file://{demo_repository}", "branch": "main", "paths": ["clusters/prod/policies"],
                        "tokenEnv": "SEGPROOF_TEST_TOKEN"},
                "output": {"root": "packs", "retain": 2, "zip": True}, "failOn": "fail", **changes}
    if keys:
        document["signing"] = {"key": keys[0], "certificate": keys[1], **({"trust": keys[1]} if trust else {})}
    path = folder / "segproof.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, keys: tuple[str, str], demo_repository: str) -> dict[str, Any]:
    """Three runs into one root: the second (by the workflow, with a placeholder report) while another run holds
    the lock for a second, the chain verified after two; the third with failOn: never, verifying the chain against
    its trust certificate. The first and third run through the command line."""
    folder = tmp_path_factory.mktemp("run")
    config = write_config(folder, demo_repository, keys)
    root = folder / "packs"
    found: dict[str, Any] = {"folder": folder, "root": root, "config": config, "results": []}
    found["results"].append(run("run", "--config", str(config), "--now", MOMENTS[0], "-q"))
    locked = threading.Event()

    def hold() -> None:
        with run_lock(root, 0):
            locked.set()
            time.sleep(HELD_SECONDS)

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait()
    started = time.monotonic()
    found["second"] = run_once(str(config), AnalysisOptions(), MOMENTS[1], 60, render=placeholder_report,
                               environment={"SEGPROOF_TEST_TOKEN": TOKEN})
    found["waited"] = time.monotonic() - started
    holder.join()
    found["verified_after_two"] = run("verify", "--chain", str(root), "--trust", keys[1])
    write_config(folder, demo_repository, keys, trust=True, failOn="never")
    found["results"].append(run("run", "--config", str(config), "--now", MOMENTS[2], "-q"))
    return found


def test_each_run_prints_a_one_line_json_summary(runs: dict[str, Any], demo_repository: str) -> None:
    for (code, out, err), moment, expected in zip(runs["results"], (MOMENTS[0], MOMENTS[2]), (1, 0), strict=True):
        assert code == expected, err
        assert out.count("\n") == 1
        summary = json.loads(out)
        assert summary["format"] == "segproof.run/v1"
        assert summary["pack_id"].startswith(moment.replace("-", "").replace(":", "") + "-")
        assert summary["path"] == str(runs["root"] / summary["pack_id"].split("-")[0])
        assert summary["zip"] == summary["path"] + ".zip"
        assert (summary["signed"], summary["signer"]) == (True, SIGNER)
        assert summary["git"]["repository"] == f"file://{demo_repository}"
        counts = summary["frameworks"]["pci-dss-4.0.1"]
        assert counts["fail"] > 0 and sum(counts.values()) == 26
        assert (summary["failed"], summary["exit_code"]) == (expected == 1, expected)


def test_two_runs_give_two_chained_packs_that_verify(runs: dict[str, Any]) -> None:
    code, out, _ = runs["verified_after_two"]
    assert code == 0, out
    # Each pack is stored as a directory and a zip, and both are verified.
    assert "chain of 2 packs (0 removed by retention)" in out and out.count("(trusted)") == 4
    first, second = json.loads(runs["results"][0][1])["pack_id"], runs["second"].published.pack.manifest.pack_id
    manifest = json.loads((runs["root"] / second.split("-")[0] / "manifest.json").read_text())
    assert manifest["previous"]["pack_id"] == first


def test_retention_keeps_n_packs_and_the_chain_still_verifies(runs: dict[str, Any], keys: tuple[str, str]) -> None:
    root = runs["root"]
    entries = read_ledger(root)
    assert [entry.removed for entry in entries] == [True, False, False]
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [
        "20260630T120000Z", "20260630T120000Z.zip", "20260930T120000Z", "20260930T120000Z.zip", "ledger.json"]
    code, out, _ = run("verify", "--chain", str(root), "--trust", keys[1])
    assert code == 0, out
    assert "chain of 3 packs (1 removed by retention, its signed manifest kept in the ledger)" in out
    assert out.rstrip().endswith("OK")


def test_a_run_with_a_trust_certificate_verifies_the_chain(runs: dict[str, Any]) -> None:
    summaries = [json.loads(out) for _, out, _ in runs["results"]]
    assert [summary["chain"] for summary in summaries] == [None, {"verdict": "trusted", "problems": []}]
    assert runs["second"].chain is None


def test_a_run_on_a_tampered_chain_fails_its_verification_naming_the_pack(runs: dict[str, Any], tmp_path: Path,
                                                                         keys: tuple[str, str],
                                                                         demo_repository: str) -> None:
    shutil.copytree(runs["root"], tmp_path / "packs", ignore=shutil.ignore_patterns(".git-cache"))
    (tmp_path / "packs" / "20260930T120000Z" / "data" / "controls.csv").write_text("forged\n")
    config = write_config(tmp_path, demo_repository, keys, trust=True, failOn="never")
    result = run_once(str(config), AnalysisOptions(), "2026-12-31T12:00:00Z", 0, render=placeholder_report,
                      environment={"SEGPROOF_TEST_TOKEN": TOKEN})
    assert result.chain is not None and result.chain.verdict == "failed"
    assert result.chain.problems == (
        f"{tmp_path / 'packs' / '20260930T120000Z'}: data/controls.csv: sha256 mismatch (size 7, manifest says "
        f"{(runs['root'] / '20260930T120000Z' / 'data' / 'controls.csv').stat().st_size})",)
    written = result.published.pack
    summary = json.loads(run_summary(written.manifest.pack_id, written.manifest.created_at, str(written.path), None,
                                     None, result.published.assessment, SIGNER, result.failed,
                                     (result.chain.verdict, result.chain.problems)))
    assert (summary["exit_code"], summary["chain"]["verdict"]) == (4, "failed")


def test_a_second_run_waits_for_the_one_holding_the_lock(runs: dict[str, Any]) -> None:
    assert runs["second"].failed
    assert runs["waited"] >= HELD_SECONDS * 0.8


def test_a_run_that_cannot_wait_exits_3_and_writes_nothing(runs: dict[str, Any]) -> None:
    root = runs["root"]
    before = sorted(p.name for p in root.iterdir())
    with run_lock(root, 0):
        code, out, err = run("run", "--config", str(runs["config"]), "--now", "2026-12-31T12:00:00Z", "--wait", "0.2")
    assert (code, out) == (3, "")
    assert err.startswith(f"segproof: error: {root}: another segproof run is writing packs here (pid ")
    assert "gave up after waiting 0.2 s" in err and "hint: " in err
    assert sorted(p.name for p in root.iterdir()) == before


def test_a_back_dated_run_is_refused_naming_the_newest_pack(runs: dict[str, Any]) -> None:
    root = runs["root"]
    before = sorted(p.name for p in root.iterdir())
    newest = read_ledger(root)[-1]
    for moment in (MOMENTS[1], MOMENTS[2]):
        code, out, err = run("run", "--config", str(runs["config"]), "--now", moment, "-q")
        assert (code, out) == (2, "")
        assert err.startswith(f"segproof: error: {root / 'ledger.json'}: a pack created at {moment} would not come "
                              f"after the newest pack {newest.pack_id} (created at {MOMENTS[2]}); "), err
        assert len(err.splitlines()) == 2 and "hint: " in err
    assert sorted(p.name for p in root.iterdir()) == before


def test_runs_started_together_write_their_packs_in_time_order(tmp_path: Path, demo_repository: str) -> None:
    config = write_config(tmp_path, demo_repository, None, failOn="never",
                          git={"path": demo_repository, "paths": ["clusters/prod/policies"]})
    command = [sys.executable, "-m", "compliance.cli", "run", "--config", str(config), "-q"]
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    processes = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
    results = [(*process.communicate(timeout=300), process.returncode) for process in processes]
    assert [code for _, _, code in results] == [0, 0], [err for _, err, _ in results]
    entries = read_ledger(tmp_path / "packs")
    assert len(entries) == 2 and entries[0].created_at < entries[1].created_at
    assert sorted(json.loads(out)["pack_id"] for out, _, _ in results) == [entry.pack_id for entry in entries]
    code, out, _ = run("verify", "--chain", str(tmp_path / "packs"))
    assert code == 0, out
    assert "chain of 2 packs (0 removed by retention)" in out


def test_the_fetched_repository_is_recorded_by_url_and_no_secret_is_stored(runs: dict[str, Any],
                                                                            demo_repository: str) -> None:
    root = runs["root"]
    manifest = json.loads((root / "20260930T120000Z" / "manifest.json").read_text())
    assert manifest["inputs"]["git"]["repository"] == f"file://{demo_repository}"
    assert manifest["inputs"]["git"]["paths"] == ["clusters/prod/policies"]
    caches = list((root / ".git-cache").iterdir())
    assert len(caches) == 1 and (caches[0] / "HEAD").is_file()
    for path in runs["folder"].rglob("*"):
        if path.is_file() and path.suffix != ".zip":
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(("changes", "message"), [
    ({"output": {"root": "packs", "keep": 2}}, "segproof.yaml: output.keep: unknown key"),
    ({"source": {"snapshot": "a.json", "manifests": ["b"]}}, "segproof.yaml: source: give exactly one of"),
    ({"failOn": "always"}, "segproof.yaml: failOn: must be one of fail, warning, never"),
    ({"frameworks": ["pci-dss-9"]}, "segproof.yaml: frameworks[0]: unknown framework 'pci-dss-9'"),
    ({"git": {"url": "file:///x", "tokenEnv": "SEGPROOF_NOT_SET"}},
     "segproof.yaml: git.tokenEnv: the environment variable SEGPROOF_NOT_SET is not set"),
])
def test_configuration_errors_name_the_key(tmp_path: Path, demo_repository: str, changes: dict, message: str) -> None:
    config = write_config(tmp_path, demo_repository, None, **changes)
    code, out, err = run("run", "--config", str(config), "--now", MOMENTS[0], "-q")
    assert (code, out) == (2, "")
    assert err.startswith(f"segproof: error: {config.parent}/{message}"), err


def test_an_unreachable_repository_is_exit_3_naming_it(tmp_path: Path, demo_repository: str) -> None:
    config = write_config(tmp_path, demo_repository, None, git={"url": f"file://{tmp_path}/gone.git"})
    code, out, err = run("run", "--config", str(config), "--now", MOMENTS[0], "-q")
    assert (code, out) == (3, "")
    assert err.startswith(f"segproof: error: file://{tmp_path}/gone.git: cannot fetch the default branch: ")
    assert not list((tmp_path / "packs").glob("2026*"))


def test_a_local_repository_is_read_in_place_and_a_url_through_the_cache(tmp_path: Path, demo_repository: str) -> None:
    from compliance.sources.git.source import GitSource
    from compliance.workflows.run_config import load_run_config
    from compliance.workflows.run_unattended import configured_git

    local = load_run_config(str(write_config(tmp_path, demo_repository, None,
                                             git={"path": demo_repository, "paths": ["clusters"]})))
    assert configured_git(local, tmp_path / "packs", {}) == GitSource(demo_repository, "HEAD", ("clusters",),
                                                                      cache=str(tmp_path / "packs" / ".history-cache"))
    fetched = configured_git(load_run_config(str(write_config(tmp_path, demo_repository, None))), tmp_path / "packs",
                             {"SEGPROOF_TEST_TOKEN": TOKEN})
    assert fetched.repository.startswith(str(tmp_path / "packs" / ".git-cache"))
    assert fetched.cache == str(tmp_path / "packs" / ".history-cache")
    assert (fetched.paths, fetched.origin, len(fetched.rev)) == (("clusters/prod/policies",),
                                                                 f"file://{demo_repository}", 40)
