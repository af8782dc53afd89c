"""The run configuration (`segproof.yaml`, kind RunConfig): everything an unattended `segproof run` needs.

Unknown keys and bad values are errors that name the key. Paths (scope, snapshot, manifests, git.path,
git.sshKeyFile, output.root, signing.*) are taken relative to the directory of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.controls import load_framework
from compliance.documents import (
    boolean_at,
    list_at,
    mapping_at,
    only_keys,
    parse_config,
    segproof_document,
    string_at,
    strings_at,
)
from compliance.errors import InvalidObject, InvalidValue, RunConfigError
from compliance.model.status import FAILING_STATUSES
from compliance.sources.cluster_target import COLLECT_TIMEOUT, REQUEST_TIMEOUT, Timeouts
from compliance.sources.git.remote import CREDENTIALS_IN_URL, holds_credentials

FAIL_ON = tuple(FAILING_STATUSES)
TOP_KEYS = {"apiVersion", "kind", "source", "scope", "frameworks", "git", "output", "signing", "failOn"}
SOURCE_KEYS = {"cluster", "snapshot", "manifests"}
CLUSTER_KEYS = {"inCluster", "kubeconfig", "context", "requestTimeout", "collectTimeout"}
GIT_KEYS = {"url", "path", "branch", "paths", "tokenEnv", "sshKeyFile"}
OUTPUT_KEYS = {"root", "retain", "zip"}
SIGNING_KEYS = {"key", "certificate", "tsa", "trust"}


@dataclass(frozen=True)
class ClusterSource:
    """A live cluster: the pod's service account, or a kubeconfig file and context (None: the usual lookup), and
    how long to wait for it."""

    in_cluster: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)


@dataclass(frozen=True)
class GitConfig:
    """The policy repository: a remote `url` fetched into a cache, or a local `path` read in place."""

    url: str | None
    path: str | None
    branch: str | None
    paths: tuple[str, ...]
    token_env: str | None = None
    ssh_key_file: str | None = None


@dataclass(frozen=True)
class RunConfig:
    """A parsed run configuration with every path resolved against the file's directory."""

    file: str
    scope: str
    output_root: str
    cluster: ClusterSource | None = None
    snapshot: str | None = None
    manifests: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()
    git: GitConfig | None = None
    retain: int | None = None
    zip: bool = False
    signing_key: str | None = None
    signing_certificate: str | None = None
    timestamp_url: str | None = None
    trust: str | None = None
    fail_on: str = "never"


def path_at(value: Any, field: str, base: Path, required: bool = False) -> str | None:
    """A path-valued key, relative to `base` (the file's directory) unless absolute; None when absent."""
    text = string_at(value, field, required=required)
    return str(base / text) if text else None


def seconds_at(value: Any, field: str, default: float) -> float:
    """A duration in seconds, more than 0; `default` when absent."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidObject(field, f"must be a number of seconds, more than 0, not {value!r}")
    return value


def parse_cluster(value: Any, base: Path) -> ClusterSource:
    """source.cluster: `{inCluster: true}` or `{kubeconfig: PATH, context: NAME}` (`{}` is the usual lookup), with
    optional requestTimeout and collectTimeout in seconds."""
    cluster = mapping_at(value, "source.cluster")
    only_keys(cluster, CLUSTER_KEYS, "source.cluster")
    in_cluster = boolean_at(cluster.get("inCluster"), "source.cluster.inCluster", False)
    kubeconfig = path_at(cluster.get("kubeconfig"), "source.cluster.kubeconfig", base)
    context = string_at(cluster.get("context"), "source.cluster.context") or None
    if in_cluster and (kubeconfig or context):
        raise InvalidObject("source.cluster.inCluster", "uses the pod's service account: give no kubeconfig or "
                            "context with it")
    timeouts = Timeouts(seconds_at(cluster.get("requestTimeout"), "source.cluster.requestTimeout", REQUEST_TIMEOUT),
                        seconds_at(cluster.get("collectTimeout"), "source.cluster.collectTimeout", COLLECT_TIMEOUT))
    return ClusterSource(in_cluster, kubeconfig, context, timeouts)


def parse_source(value: Any, base: Path) -> dict[str, Any]:
    """source: exactly one of cluster, snapshot, manifests, as RunConfig fields."""
    source = mapping_at(value, "source", required=True)
    only_keys(source, SOURCE_KEYS, "source")
    given = sorted(key for key in SOURCE_KEYS if source.get(key) is not None)
    if len(given) != 1:
        raise InvalidObject("source", "give exactly one of cluster, snapshot or manifests"
                            + (f", not {' and '.join(given)}" if given else ""))
    if given == ["cluster"]:
        return {"cluster": parse_cluster(source["cluster"], base)}
    if given == ["snapshot"]:
        return {"snapshot": path_at(source["snapshot"], "source.snapshot", base, required=True)}
    entries = list_at(source["manifests"], "source.manifests")
    if not entries:
        raise InvalidObject("source.manifests", "must name at least one file or directory")
    return {"manifests": tuple(str(path_at(entry, f"source.manifests[{index}]", base, required=True))
                               for index, entry in enumerate(entries))}


def parse_git(value: Any, base: Path) -> GitConfig | None:
    """git: a remote url (with tokenEnv or sshKeyFile) or a local path, a branch and paths inside it."""
    if value is None:
        return None
    git = mapping_at(value, "git")
    only_keys(git, GIT_KEYS, "git")
    url = string_at(git.get("url"), "git.url") or None
    if url and holds_credentials(url):
        raise InvalidObject("git.url", CREDENTIALS_IN_URL)
    path = path_at(git.get("path"), "git.path", base)
    if bool(url) == bool(path):
        raise InvalidObject("git", "give exactly one of url (a remote to fetch) or path (a local repository)")
    token_env = string_at(git.get("tokenEnv"), "git.tokenEnv") or None
    ssh_key_file = path_at(git.get("sshKeyFile"), "git.sshKeyFile", base)
    for key, given in (("tokenEnv", token_env), ("sshKeyFile", ssh_key_file)):
        if given and not url:
            raise InvalidObject(f"git.{key}", "credentials are only used to fetch a url")
    if token_env and ssh_key_file:
        raise InvalidObject("git.sshKeyFile", "give tokenEnv (HTTPS) or sshKeyFile (SSH), not both")
    return GitConfig(url, path, string_at(git.get("branch"), "git.branch") or None,
                     strings_at(git.get("paths"), "git.paths"), token_env, ssh_key_file)


def parse_output(value: Any, base: Path) -> dict[str, Any]:
    """output: root (required), retain (a count of packs, at least 1), zip."""
    output = mapping_at(value, "output", required=True)
    only_keys(output, OUTPUT_KEYS, "output")
    retain = output.get("retain")
    if retain is not None and (isinstance(retain, bool) or not isinstance(retain, int) or retain < 1):
        raise InvalidObject("output.retain", f"must be a whole number of packs, at least 1, not {retain!r}")
    return {"output_root": path_at(output.get("root"), "output.root", base, required=True), "retain": retain,
            "zip": boolean_at(output.get("zip"), "output.zip", False)}


def parse_signing(value: Any, base: Path) -> dict[str, Any]:
    """signing: key and certificate (both, or the block absent), optionally a timestamping authority's URL (tsa)
    and the certificate the ledger's packs must chain to (trust), which makes each run verify the chain."""
    if value is None:
        return {}
    signing = mapping_at(value, "signing")
    only_keys(signing, SIGNING_KEYS, "signing")
    tsa = string_at(signing.get("tsa"), "signing.tsa") or None
    if tsa is not None and not tsa.startswith(("http://", "https://")):
        raise InvalidObject("signing.tsa", f"must be an http:// or https:// URL, not {tsa!r}")
    return {"signing_key": path_at(signing.get("key"), "signing.key", base, required=True),
            "signing_certificate": path_at(signing.get("certificate"), "signing.certificate", base, required=True),
            "timestamp_url": tsa, "trust": path_at(signing.get("trust"), "signing.trust", base)}


def parse_run_config_document(document: Any, file: str) -> RunConfig:
    """A RunConfig from the parsed YAML document; InvalidObject names the bad key."""
    top = segproof_document(document, "RunConfig", TOP_KEYS)
    base = Path(file).absolute().parent
    fail_on = string_at(top.get("failOn"), "failOn") or "never"
    if fail_on not in FAIL_ON:
        raise InvalidObject("failOn", f"must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    return RunConfig(
        file=file,
        scope=str(path_at(top.get("scope"), "scope", base, required=True)),
        frameworks=strings_at(top.get("frameworks"), "frameworks"),
        git=parse_git(top.get("git"), base),
        fail_on=fail_on,
        **parse_source(top.get("source"), base),
        **parse_output(top.get("output"), base),
        **parse_signing(top.get("signing"), base),
    )


def parse_run_config(text: str, file: str) -> RunConfig:
    """A RunConfig from the text of a run configuration file; errors name the file and key."""
    return parse_config(text, file, "RunConfig", lambda document: parse_run_config_document(document, file),
                        RunConfigError)


def load_run_config(path: str) -> RunConfig:
    """The run configuration file, parsed, with its frameworks checked against the shipped catalogs."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RunConfigError(path, "", getattr(error, "strerror", None) or str(error)) from None
    config = parse_run_config(text, path)
    for index, framework in enumerate(config.frameworks):
        try:
            load_framework(framework)
        except InvalidValue as error:
            raise RunConfigError(path, f"frameworks[{index}]", error.message, error.hint) from None
    return config


def git_token(git: GitConfig, environment: Mapping[str, str], file: str) -> str | None:
    """The token named by git.tokenEnv, read from `environment`; None when no tokenEnv is configured."""
    if git.token_env is None:
        return None
    token = environment.get(git.token_env)
    if not token:
        raise RunConfigError(file, "git.tokenEnv", f"the environment variable {git.token_env} is not set")
    return token
