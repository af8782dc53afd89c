"""The CI gate samples: valid YAML, run on pull/merge requests, and every segproof command line they hold parses."""

from __future__ import annotations

import shlex

import pytest
import yaml

from compliance.cli import main
from compliance.resources import resource_dir

CI = resource_dir("samples") / "ci"


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
            assert context.params["output"] in ("text", "markdown")


def iterate(value: object) -> list[object]:
    """Every scalar of a YAML document."""
    if isinstance(value, dict):
        return [item for child in value.values() for item in iterate(child)]
    if isinstance(value, list):
        return [item for child in value for item in iterate(child)]
    return [value]
