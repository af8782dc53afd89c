"""The run configuration: the documented example, paths relative to the file, and every error naming its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compliance.errors import RunConfigError
from compliance.resources import resource_dir
from compliance.sources.cluster_target import Timeouts
from compliance.workflows.run_config import ClusterSource, git_token, load_run_config, parse_run_config

MINIMAL = {"apiVersion": "segproof/v1", "kind": "RunConfig", "source": {"snapshot": "cluster.json"},
           "scope": "scope.yaml", "output": {"root": "packs"}}


def parsed(document: dict, file: str = "/etc/segproof/segproof.yaml") -> object:
    return parse_run_config(yaml.safe_dump(document), file)


def test_the_deployed_example_parses_with_paths_relative_to_the_file() -> None:
    config_map = yaml.safe_load((resource_dir("samples") / "deploy" / "config.yaml").read_text())
    config = parse_run_config(config_map["data"]["segproof.yaml"], "/etc/segproof/segproof.yaml")
    assert config.cluster == ClusterSource(in_cluster=True)
    assert (config.scope, config.output_root, config.retain, config.zip) == (
        "/etc/segproof/scope.yaml", "/var/lib/segproof/packs", 8, False)
    assert config.frameworks == ("pci-dss-4.0.1", "cis-kubernetes-1.10")
    assert (config.git.url, config.git.branch, config.git.paths, config.git.token_env) == (
        "https://git.example.com/platform/netpol.git", "main", ("clusters/prod/policies",), "GIT_TOKEN")
    assert (config.signing_key, config.fail_on) == ("/etc/segproof/keys/signing.key", "never")


def test_the_cluster_timeouts_are_configurable() -> None:
    config = parsed({**MINIMAL, "source": {"cluster": {"requestTimeout": 30, "collectTimeout": 1800.5}}})
    assert config.cluster == ClusterSource(timeouts=Timeouts(request=30, collection=1800.5))
    assert parsed({**MINIMAL, "source": {"cluster": {}}}).cluster.timeouts == Timeouts(request=120, collection=900)


def test_relative_paths_follow_the_file_and_defaults_apply() -> None:
    config = parsed({**MINIMAL, "source": {"manifests": ["cluster", "/abs/more.yaml"]},
                     "git": {"path": "../netpol"}}, "conf/segproof.yaml")
    here = Path("conf").absolute()
    assert config.manifests == (str(here / "cluster"), "/abs/more.yaml")
    assert config.git.path == str(here / "../netpol") and config.git.branch is None
    assert (config.frameworks, config.retain, config.zip, config.signing_key, config.fail_on) == (
        (), None, False, None, "never")


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"colour": "blue"}, "colour", "unknown key"),
    ({"apiVersion": "v1"}, "apiVersion", "must be segproof/v1"),
    ({"kind": "Scope"}, "kind", "must be RunConfig"),
    ({"source": {"snapshot": "a", "manifests": ["b"]}}, "source", "exactly one of cluster, snapshot or manifests"),
    ({"source": {}}, "source", "exactly one"),
    ({"source": {"cluster": {"inCluster": "yes"}}}, "source.cluster.inCluster", "true or false"),
    ({"source": {"cluster": {"inCluster": True, "context": "prod"}}}, "source.cluster.inCluster", "service account"),
    ({"source": {"cluster": {"namespace": "x"}}}, "source.cluster.namespace", "unknown key"),
    ({"source": {"cluster": {"requestTimeout": 0}}}, "source.cluster.requestTimeout", "more than 0, not 0"),
    ({"source": {"cluster": {"collectTimeout": "15m"}}}, "source.cluster.collectTimeout", "number of seconds"),
    ({"source": {"manifests": []}}, "source.manifests", "at least one"),
    ({"source": {"manifests": [3]}}, "source.manifests[0]", "must be a string"),
    ({"scope": None}, "scope", "required"),
    ({"frameworks": "pci"}, "frameworks", "must be a list"),
    ({"git": {"url": "u", "path": "p"}}, "git", "exactly one of url"),
    ({"git": {"path": "p", "tokenEnv": "T"}}, "git.tokenEnv", "only used to fetch a url"),
    ({"git": {"url": "u", "tokenEnv": "T", "sshKeyFile": "k"}}, "git.sshKeyFile", "not both"),
    ({"git": {"url": "u", "token": "secret"}}, "git.token", "unknown key"),
    ({"git": {"url": "u", "paths": [""]}}, "git.paths[0]", "required"),
    ({"git": {"url": "https://ci:glpat-s3cret@git.example.com/x.git"}}, "git.url",
     "must not hold credentials: git would get them on its command line, which any local process can read; put "
     "the token in an environment variable and name it in git.tokenEnv"),
    ({"git": {"url": "https://ghp_s3cret@github.com/acme/netpol.git", "tokenEnv": "T"}}, "git.url",
     "must not hold credentials"),
    ({"git": {"url": "ssh://git:s3cret@git.example.com/x.git"}}, "git.url", "must not hold credentials"),
    ({"output": {"root": "p", "retain": 0}}, "output.retain", "at least 1"),
    ({"output": {"root": "p", "retain": True}}, "output.retain", "at least 1"),
    ({"output": {"retain": 3}}, "output.root", "required"),
    ({"output": {"root": "p", "zip": "no"}}, "output.zip", "true or false"),
    ({"output": {"root": "p", "keep": 3}}, "output.keep", "unknown key"),
    ({"signing": {"key": "k"}}, "signing.certificate", "required"),
    ({"failOn": "error"}, "failOn", "one of fail, warning, never"),
])
def test_every_error_names_its_key(change: dict, field: str, message: str) -> None:
    with pytest.raises(RunConfigError) as caught:
        parsed({**MINIMAL, **change}, "segproof.yaml")
    assert caught.value.field == field
    assert caught.value.message.startswith(f"segproof.yaml: {field}: ")
    assert message in caught.value.message
    assert caught.value.exit_code == 2


def test_an_ssh_user_without_a_password_is_no_credential() -> None:
    git = parsed({**MINIMAL, "git": {"url": "ssh://git@git.example.com/platform/netpol.git", "sshKeyFile": "k"}}).git
    assert git.url == "ssh://git@git.example.com/platform/netpol.git"


def test_invalid_yaml_and_empty_files() -> None:
    with pytest.raises(RunConfigError, match=r"segproof.yaml: invalid YAML at line 1"):
        parse_run_config("source: [", "segproof.yaml")
    with pytest.raises(RunConfigError, match="the file is empty"):
        parse_run_config("", "segproof.yaml")


def test_unknown_frameworks_and_missing_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "segproof.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, "frameworks": ["pci-dss", "sox"]}))
    with pytest.raises(RunConfigError) as caught:
        load_run_config(str(path))
    assert caught.value.message == f"{path}: frameworks[1]: unknown framework 'sox'"
    assert "pci-dss-4.0.1" in caught.value.hint
    with pytest.raises(RunConfigError, match="No such file"):
        load_run_config(str(tmp_path / "missing.yaml"))


def test_the_token_comes_from_the_named_variable() -> None:
    git = parsed({**MINIMAL, "git": {"url": "https://git.example.com/x.git", "tokenEnv": "GIT_TOKEN"}}).git
    assert git_token(git, {"GIT_TOKEN": "s3cret"}, "segproof.yaml") == "s3cret"
    with pytest.raises(RunConfigError, match=r"git\.tokenEnv: the environment variable GIT_TOKEN is not set"):
        git_token(git, {}, "segproof.yaml")
    assert git_token(parsed({**MINIMAL, "git": {"url": "u"}}).git, {}, "segproof.yaml") is None
