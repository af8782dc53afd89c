"""The in-cluster deployment: the kustomization renders it all and the output is valid Kubernetes (strict, offline);
read-only by construction; egress only to DNS, the API server and the git host; a period that moves with the run; a
bounded run; an export pod for the auditor; and an image whose build context holds no .git, tests or keys."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from compliance.resources import resource_dir
from compliance.scope import parse_scope
from compliance.workflows.run_config import parse_run_config

DEPLOY = resource_dir("samples") / "deploy"
ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.30.0"
READ = ["get", "list"]
ALLOWED_RULES = {
    ("", "namespaces"): READ, ("", "pods"): READ, ("", "services"): READ, ("", "nodes"): READ,
    ("networking.k8s.io", "networkpolicies"): READ,
    ("policy.networking.k8s.io", "adminnetworkpolicies"): READ,
    ("policy.networking.k8s.io", "baselineadminnetworkpolicies"): READ,
    ("policy.networking.k8s.io", "clusternetworkpolicies"): READ,
    **{(group, plural): READ for group in ("crd.projectcalico.org", "projectcalico.org")
       for plural in ("tiers", "networkpolicies", "globalnetworkpolicies", "networksets", "globalnetworksets")},
    ("", "serviceaccounts"): READ,  # names and labels, when a Calico policy selects service accounts by label
    ("cilium.io", "ciliumnetworkpolicies"): READ, ("cilium.io", "ciliumclusterwidenetworkpolicies"): READ,
    ("authentication.k8s.io", "selfsubjectreviews"): ["create"],
}


def documents() -> list[tuple[str, dict]]:
    """(file name, object) of every manifest (the kustomization is not one)."""
    return [(path.name, document) for path in sorted(DEPLOY.glob("*.yaml")) if path.name != "kustomization.yaml"
            for document in yaml.safe_load_all(path.read_text()) if document]


def kubectl(*arguments: str) -> str:
    """kubectl's output; CI installs it (.ci/run), so a missing kubectl fails rather than skips."""
    assert shutil.which("kubectl"), "kubectl is missing: .ci/run installs it (Debian kubernetes-client)"
    done = subprocess.run(["kubectl", *arguments], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    """The objects `kubectl kustomize samples/deploy` renders."""
    return [document for document in yaml.safe_load_all(kubectl("kustomize", str(DEPLOY))) if document]


def rendered_kind(objects: list[dict], kind: str, name: str) -> dict:
    """One rendered object by kind and name."""
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_the_kustomization_renders_the_whole_deployment(rendered: list[dict], tmp_path: Path) -> None:
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in rendered)
    assert kinds == sorted(f"{d['kind']}/{d['metadata']['name']}" for name, d in documents()
                           if name != "export-pod.yaml")
    assert all(o["metadata"].get("namespace", "segproof") == "segproof" for o in rendered)
    output = tmp_path / "rendered.yaml"
    output.write_text(yaml.safe_dump_all(rendered))
    done = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", "-k", KUBERNETES_VERSION,
                           str(output)], capture_output=True, text=True)
    assert done.returncode == 0 and "passed" in done.stdout and "failed" not in done.stdout, done.stdout + done.stderr


def test_egress_reaches_only_dns_the_api_server_and_the_git_host(rendered: list[dict]) -> None:
    deny = rendered_kind(rendered, "NetworkPolicy", "default-deny")["spec"]
    assert (deny["podSelector"], deny["policyTypes"]) == ({}, ["Ingress", "Egress"])
    egress = rendered_kind(rendered, "NetworkPolicy", "segproof-egress")["spec"]
    pod = rendered_kind(rendered, "CronJob", "segproof")["spec"]["jobTemplate"]["spec"]["template"]
    assert egress["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    rules = egress["egress"]
    assert all(rule.get("to") and rule.get("ports") for rule in rules), "no rule open to every address or port"
    dns, api, git = rules
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {p["port"] for p in dns["ports"]} == {53}
    for rule, ports in ((api, {443, 6443}), (git, {443})):
        assert [set(peer) for peer in rule["to"]] == [{"ipBlock"}]
        assert all(peer["ipBlock"]["cidr"].endswith("/32") for peer in rule["to"])
        assert {p["port"] for p in rule["ports"]} == ports


def test_a_run_is_bounded_in_time_and_the_image_is_set_once(rendered: list[dict]) -> None:
    job = rendered_kind(rendered, "CronJob", "segproof")["spec"]
    assert 0 < job["jobTemplate"]["spec"]["activeDeadlineSeconds"] <= 4 * 3600
    assert job["startingDeadlineSeconds"] <= 86400
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    (image,) = kustomization["images"]
    container = job["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{image['name']}:{image['newTag']}"


def test_the_scheduled_scope_assesses_the_quarter_that_just_ended() -> None:
    (config,) = [d for _, d in documents() if d["kind"] == "ConfigMap"]
    run = parse_run_config(config["data"]["segproof.yaml"], "/etc/segproof/segproof.yaml")
    assert run.scope == "/etc/segproof/scope.yaml"
    schedule = next(d for _, d in documents() if d["kind"] == "CronJob")["spec"]["schedule"]
    assert schedule.split()[2:4] == ["1", "1,4,7,10"]
    periods = set()
    for month in (1, 4, 7, 10):
        scope = parse_scope(config["data"]["scope.yaml"], "scope.yaml", datetime.date(2027, month, 1))
        assert scope.period_end == datetime.date(2027, month, 1) - datetime.timedelta(days=1)
        periods.add(scope.period_start)
    assert len(periods) == 4


def test_the_export_pod_reads_the_ledger_only() -> None:
    (pod,) = [d for name, d in documents() if name == "export-pod.yaml"]
    spec = pod["spec"]
    assert spec["automountServiceAccountToken"] is False and spec["activeDeadlineSeconds"] > 0
    (volume,) = [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
    assert volume["persistentVolumeClaim"] == {"claimName": "segproof-packs", "readOnly": True}
    (container,) = spec["containers"]
    assert all(m["readOnly"] for m in container["volumeMounts"] if m["name"] == volume["name"])
    assert "segproof verify --chain /var/lib/segproof/packs" in container["command"][-1]
    text = (DEPLOY / "export-pod.yaml").read_text()
    assert "kubectl -n segproof cp segproof-export:/var/lib/segproof/packs" in text


@pytest.mark.parametrize(("name", "document"), documents(),
                         ids=[f"{name}:{doc['kind']}/{doc['metadata']['name']}" for name, doc in documents()])
def test_every_manifest_is_valid_kubernetes(name: str, document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_cluster_role_grants_nothing_more_than_reading() -> None:
    roles = [d for _, d in documents() if d["kind"] == "ClusterRole"]
    assert len(roles) == 1
    granted = {}
    for rule in roles[0]["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, "no resourceNames, nonResourceURLs or wildcards"
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted[(group, resource)] = sorted(rule["verbs"])
    assert granted == {key: sorted(verbs) for key, verbs in ALLOWED_RULES.items()}
    assert not any("*" in str(rule) for rule in roles[0]["rules"])


def test_no_secret_material_is_shipped() -> None:
    kinds = {d["kind"] for _, d in documents()}
    assert "Secret" not in kinds
    for path in DEPLOY.iterdir():
        assert "PRIVATE KEY" not in path.read_text()


def test_the_cron_job_runs_as_the_reader_without_privileges() -> None:
    jobs = [d for _, d in documents() if d["kind"] == "CronJob"]
    assert len(jobs) == 1
    spec = jobs[0]["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert (spec["concurrencyPolicy"], pod["serviceAccountName"]) == ("Forbid", "segproof")
    container = pod["containers"][0]
    assert container["args"][:2] == ["run", "--config"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {v["secretKeyRef"]["name"] for e in container["env"] if (v := e.get("valueFrom"))} == {"segproof-git"}


def test_the_image_is_built_from_the_wheel() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    assert "pip wheel" in text and "USER 10001" in text
    assert text.count("\nFROM ") == 2, "the build stage's compiler caches and sources stay out of the image"
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core", "git"):
        assert re.search(rf"\b{re.escape(package)}\b", text), package


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """.containerignore as (excluded, pattern) rules, read as podman and Docker read them: the last match decides,
    `*` stays within a path segment, `**` spans segments, and a rule on a directory covers what is below it."""
    rules = []
    for line in (ROOT / ".containerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        excluded, pattern = not line.startswith("!"), line.lstrip("!").strip("/")
        parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
        regex = "".join({"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(p, re.escape(p)) for p in parts)
        rules.append((excluded, re.compile(regex + "(?:/.*)?")))
    return rules


def sent(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether a file (path relative to the context) goes into the build context."""
    verdict = False
    for excluded, pattern in rules:
        if pattern.fullmatch(path):
            verdict = excluded
    return not verdict


def context_files(extra: tuple[str, ...] = ()) -> list[str]:
    """The files of the repository (and `extra` ones) that a build from its root sends as its context."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    rules = ignore_rules()
    return sorted(path for path in {*listed, *extra} if (ROOT / path).is_file() or path in extra
                  if sent(path, rules))


def test_the_build_context_holds_no_git_tests_or_keys() -> None:
    local = (".git/config", "segproof-demo/.demo-key/signing.key", "segproof-demo/20260331T120000Z/report.pdf",
             "keys/signing.key", "samples/deploy/keys/signing.key", "compliance/__pycache__/cli.cpython-311.pyc",
             ".venv/bin/python")
    files = context_files(local)
    assert not [f for f in files if f.split("/")[0] in (".git", "tests", "benchmarks", ".ci", "segproof-demo",
                                                         "keys", ".venv")]
    pem = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/]")
    assert not [f for f in files if f.endswith((".key", ".pem", ".pyc")) or ((ROOT / f).is_file() and
                pem.search((ROOT / f).read_text(errors="ignore")))]
    assert {"pyproject.toml", "README.md", "compliance/__init__.py", "controls/pci-dss-4.0.1.yaml",
            "report_templates/report.html.j2", "samples/cluster/payments.yaml"} <= set(files)


def test_the_wheel_builds_from_the_build_context_alone(tmp_path: Path) -> None:
    context = tmp_path / "context"
    for path in context_files():
        (context / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, context / path)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "--wheel-dir", str(tmp_path / "wheels"), str(context)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "wheels").iterdir()] == ["segproof-0.1.0-py3-none-any.whl"]


def test_the_rbac_sample_is_where_errors_point() -> None:
    from compliance.sources.cluster import RBAC_HINT
    assert Path(RBAC_HINT.split()[-1]).name == "rbac.yaml"
