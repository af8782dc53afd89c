"""The CI samples: the gate runs on pull/merge requests, a scheduled job refreshes the topology, segproof is
installed from its repository at a pinned tag (and that install step works against a clone), actions are pinned to
commits, and every segproof command line they hold parses."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compliance.cli import main
from compliance.resources import resource_dir

CI = resource_dir("samples") / "ci"
ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ("github-actions.yaml", "github-topology.yaml", "gitlab-ci.yaml")
INSTALL = 'python -m pip install "git+${SEGPROOF_REPOSITORY}@${SEGPROOF_REF}"'


def workflow(name: str) -> dict:
    """A CI file as YAML."""
    return yaml.safe_load((CI / name).read_text())


def segproof_commands(script: str) -> list[list[str]]:
    """The arguments of each `segproof ...` command in a shell script, up to its output redirection."""
    joined = script.replace("\\\n", " ")
    return [shlex.split(line.strip().split(" > ")[0])[1:] for line in joined.splitlines()
            if line.strip().startswith("segproof ")]


def test_the_github_workflow_gates_pull_requests() -> None:
    workflow = yaml.safe_load((CI / "github-actions.yaml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["simulate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 2
    scripts = "\n".join(step.get("run", "") for step in steps)
    commands = segproof_commands(scripts)
    assert [command[0] for command in commands] == ["simulate"]
    assert {"--fail-on", "--git", "--base", "--scope"} <= set(commands[0])
    assert steps[-1]["run"].startswith("exit ")


def test_the_gitlab_job_gates_merge_requests() -> None:
    job = yaml.safe_load((CI / "gitlab-ci.yaml").read_text())["segproof-simulate"]
    assert job["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    commands = segproof_commands("\n".join(job["script"]))
    assert [command[0] for command in commands] == ["simulate"]
    assert "$CI_MERGE_REQUEST_DIFF_BASE_SHA" in commands[0] and "--fail-on" in commands[0]
    assert job["artifacts"]["paths"] == ["segproof.md"]


@pytest.mark.parametrize("name", ["github-actions.yaml", "gitlab-ci.yaml", "README.md"])
def test_every_segproof_command_in_the_samples_parses(name: str) -> None:
    text = (CI / name).read_text()
    if name.endswith(".yaml"):
        document = yaml.safe_load(text)
        text = "\n".join(str(value) for value in iterate(document))
    commands = segproof_commands(text)
    assert commands
    for arguments in commands:
        command = main.commands[arguments[0]]
        with command.make_context(arguments[0], arguments[1:]) as context:
            if arguments[0] == "simulate":
                assert context.params["output"] in ("text", "markdown")


@pytest.mark.parametrize("name", WORKFLOWS)
def test_segproof_is_installed_from_its_repository_at_the_release_tag(name: str) -> None:
    document = workflow(name)
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)[1]
    settings = document.get("env") or document.get("variables")
    assert settings["SEGPROOF_REF"] == f"v{version}"
    assert settings["SEGPROOF_REPOSITORY"].endswith(".git")
    installs = [value for value in map(str, iterate(document)) if "pip install" in value]
    assert installs and all(INSTALL in value for value in installs)


@pytest.mark.parametrize("name", ["github-actions.yaml", "github-topology.yaml"])
def test_actions_are_pinned_to_commits(name: str) -> None:
    uses = [step["uses"] for job in workflow(name)["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", use) for use in uses), uses


def test_a_scheduled_job_refreshes_the_topology() -> None:
    github = workflow("github-topology.yaml")
    assert "schedule" in github.get("on", github.get(True))
    collect = next(s["run"] for s in github["jobs"]["collect"]["steps"] if "segproof collect" in s.get("run", ""))
    assert "--out topology/prod-snapshot.json" in collect
    gitlab = workflow("gitlab-ci.yaml")["segproof-topology"]
    assert gitlab["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert any("--out topology/prod-snapshot.json" in line for line in gitlab["script"])


def propose_check(name: str) -> str:
    """The line of a topology job that ends it when the snapshot did not change."""
    texts = [str(value) for value in iterate(workflow(name))]
    return next(line.strip() for text in texts for line in text.splitlines() if "topology unchanged" in line)


def test_a_topology_that_differs_only_in_its_collection_time_is_not_proposed(tmp_path: Path) -> None:
    checks = {propose_check(name) for name in ("github-topology.yaml", "gitlab-ci.yaml")}
    assert len(checks) == 1
    (check,) = checks
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    snapshot = tmp_path / "topology" / "prod-snapshot.json"
    snapshot.parent.mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    text = '{{\n  "format": "segproof.snapshot/v2",\n  "collected_at": "{}",\n  "objects": {}\n}}\n'
    snapshot.write_text(text.format("2026-09-30T05:17:00Z", "{}"))
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "topology"], cwd=tmp_path, check=True)

    def proposed(objects: str) -> bool:
        snapshot.write_text(text.format("2026-10-01T05:17:00Z", objects))
        subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
        done = subprocess.run(["bash", "-c", f"{check}\necho proposed"],
                              cwd=tmp_path, capture_output=True, text=True, check=True)
        return done.stdout.strip() == "proposed"

    assert not proposed("{}")
    assert proposed('{"namespaces": [{"metadata": {"name": "new"}}]}')


def test_the_install_step_works_against_a_clone(tmp_path: Path) -> None:
    """The install command exactly as the workflows write it, on a clone of this repository tagged as the samples
    pin it; the venv sees the suite's packages, so only segproof itself is built and installed."""
    settings = workflow("github-actions.yaml")["env"]
    clone = tmp_path / "segproof"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "tag", settings["SEGPROOF_REF"]], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment.update(PATH=f"{venv / 'bin'}{os.pathsep}{environment['PATH']}",
                       SEGPROOF_REPOSITORY=clone.as_uri(), SEGPROOF_REF=settings["SEGPROOF_REF"])
    done = subprocess.run(["bash", "-c", INSTALL], cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import compliance; print(compliance.__file__)"],
                           cwd=tmp_path, env=environment, capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(venv)
    help_text = subprocess.run([str(venv / "bin" / "segproof"), "simulate", "--help"], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, check=True).stdout
    assert "--fail-on" in help_text


def iterate(value: object) -> list[object]:
    """Every scalar of a YAML document."""
    if isinstance(value, dict):
        return [item for child in value.values() for item in iterate(child)]
    if isinstance(value, list):
        return [item for child in value for item in iterate(child)]
    return [value]
