"""What-if simulation: the gate semantics, states laid over the source, and `segproof simulate` end to end on the
sample cluster with proposed files and with a real git history."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from compliance.errors import InvalidValue
from compliance.model.status import FAILING_STATUSES
from compliance.resources import resource_dir
from compliance.simulate import ControlChange, FindingChange, policy_key, with_policies
from compliance.sources.manifests import load_manifests
from tests.support.cli import run
from tests.support.documents import ANALYTICS_DENY
from tests.support.git_repos import build_demo

SAMPLES = resource_dir("samples")
NOW = "2026-03-31T12:00:00Z"
SOURCE = ("--manifests", str(SAMPLES / "cluster"), "--now", NOW)
SCOPED = ("--scope", str(SAMPLES / "scope.yaml"), "--framework", "pci-dss-4.0.1")
OFFENDING = "analytics/dashboard[Deployment] -> payments/card-vault[StatefulSet] TCP 5432 (out-of-scope -> cde)"
OPEN_VAULT = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "card-vault-from-anywhere", "namespace": "payments"},
              "spec": {"podSelector": {"matchLabels": {"app": "card-vault"}},
                       "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 5432}]}]}}


@pytest.fixture(scope="module")
def proposals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("proposed")
    found = {}
    for name, document in (("open-vault", OPEN_VAULT), ("analytics-deny", ANALYTICS_DENY)):
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document))
        found[name] = str(folder / f"{name}.yaml")
    return found


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("git") / "netpol"
    build_demo(target)
    return str(target)


def finding(status: str, name: str = "a -> b") -> FindingChange:
    return FindingChange("segmentation.inbound_restricted", status, name, f"{name} without an approved flow", "high")


@pytest.mark.parametrize(("before", "after", "new", "fail_on", "worse"), [
    ("pass", "fail", (), "fail", True),
    ("warning", "fail", (), "fail", True),
    ("not_applicable", "error", (), "fail", True),
    ("fail", "fail", (), "fail", False),
    ("fail", "fail", ("fail",), "fail", True),
    ("fail", "fail", ("warning",), "fail", False),
    ("fail", "pass", (), "fail", False),
    ("pass", "warning", (), "fail", False),
    ("pass", "warning", (), "warning", True),
    ("warning", "warning", ("warning",), "warning", True),
    ("excepted", "excepted", ("fail",), "fail", False),
])
def test_when_a_control_gets_worse(before: str, after: str, new: tuple[str, ...], fail_on: str, worse: bool) -> None:
    change = ControlChange("pci-dss-4.0.1/1.3.1", "Inbound", before, after, tuple(map(finding, new)), ())
    assert change.worse(FAILING_STATUSES[fail_on]) is worse


def test_policies_are_laid_over_the_source(proposals: dict[str, str]) -> None:
    snapshot = load_manifests([str(SAMPLES / "cluster")], NOW)
    proposed = load_manifests([proposals["open-vault"], proposals["analytics-deny"]], NOW).policies
    tighter = replace(next(p for p in snapshot.policies if p.key == "payments/card-vault-ingress"), ingress=())
    changed = with_policies(snapshot, (*proposed, tighter), ["payments/tokenizer-ingress"])
    keys = [p.key for p in changed.policies]
    assert keys == sorted(keys, key=lambda key: tuple(key.split("/")))
    assert len(keys) == len(snapshot.policies) + 1
    assert {"payments/card-vault-from-anywhere", "analytics/default-deny-all"} <= set(keys)
    assert "payments/tokenizer-ingress" not in keys
    assert next(p for p in changed.policies if p.key == "payments/card-vault-ingress").ingress == ()
    with pytest.raises(InvalidValue, match="analytics/nothing: no such NetworkPolicy to delete"):
        with_policies(snapshot, (), ["analytics/nothing"])
    assert policy_key("payments/card-vault") == "payments/card-vault"
    for text in ("payments", "/x", "a/b/c", "a/"):
        with pytest.raises(ValueError, match="is not ns/name"):
            policy_key(text)


def test_a_path_from_out_of_scope_into_the_cde_fails_the_gate_and_is_named(proposals: dict[str, str]) -> None:
    code, out, err = run("simulate", *SOURCE, *SCOPED, "--proposed", proposals["open-vault"], "--fail-on", "fail",
                         "--details")
    assert code == 1, err
    assert out.splitlines()[0].startswith("FAIL: ")
    assert "pci-dss-4.0.1/1.3.1" in out.splitlines()[0]
    offending = out.split("Offending paths:\n")[1].split("\n\n")[0].splitlines()
    assert f"  {OFFENDING}" in offending
    assert "  added     payments/card-vault-from-anywhere" in out
    assert re.search(r"\nout-of-scope +cde +TCP 5432\n", out.split("Zone paths opened (")[1])


def test_without_fail_on_the_same_change_exits_0(proposals: dict[str, str]) -> None:
    code, out, _ = run("simulate", *SOURCE, *SCOPED, "--proposed", proposals["open-vault"])
    assert code == 0
    assert re.match(r"\d+ controls would get worse \(", out.splitlines()[0])


def test_a_change_that_only_improves_passes_the_gate(proposals: dict[str, str]) -> None:
    code, out, err = run("simulate", *SOURCE, *SCOPED, "--proposed", proposals["analytics-deny"],
                         "--fail-on", "fail", "-o", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["verdict"] == {"fail_on": "fail", "failed": False, "worse": [], "offending": [],
                                   "summary": document["verdict"]["summary"]}
    assert document["verdict"]["summary"].startswith("OK: no control gets worse; the change opens 0 and closes ")
    assert not document["opened"] and document["closed"]
    inbound = next(c for c in document["controls"] if c["control"] == "pci-dss-4.0.1/1.3.1")
    assert inbound["before"] == inbound["after"] == "fail" and not inbound["new_findings"]
    assert {f["object"] for f in inbound["resolved_findings"]} >= {
        "analytics/dashboard[Deployment] -> payments/tokenizer[Deployment]",
        "analytics/nightly-order-aggregation[CronJob] -> payments/tokenizer[Deployment]"}


def test_without_a_scope_only_connections_are_shown(proposals: dict[str, str]) -> None:
    code, out, _ = run("simulate", *SOURCE, "--proposed", proposals["open-vault"], "-o", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["controls"], document["zones_opened"], document["zones_closed"]) == (None, None, None)
    assert document["verdict"]["summary"].endswith("no scope given, so no control was evaluated.")
    assert {"src": "analytics/dashboard[Deployment]", "dst": "payments/card-vault[StatefulSet]",
            "ports": [{"protocol": "TCP", "from": 5432, "to": 5432}], "ambiguous": []} in document["opened"]
    assert "src_zone" not in document["opened"][0]


@pytest.mark.parametrize("cidr", ["198.51.100.0/24", "2001:db8::/32"])
def test_a_new_ip_block_that_only_restricts_makes_nothing_worse(tmp_path: Path, cidr: str) -> None:
    # Restricting the dashboard's egress to one block cuts the address ranges anew (and, for IPv6, brings
    # IPv6 ranges no policy named before): other workloads' unchanged reach must not read as opened, nor
    # their findings on those ranges as new.
    proposed = tmp_path / "dashboard-egress.yaml"
    proposed.write_text(yaml.safe_dump({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "dashboard-egress", "namespace": "analytics"},
        "spec": {"podSelector": {"matchLabels": {"app": "dashboard"}}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": 443}]}]}}))
    code, out, err = run("simulate", *SOURCE, *SCOPED, "--proposed", str(proposed), "--fail-on", "fail", "-o", "json")
    assert code == 0, err
    document = json.loads(out)
    assert (document["opened"], document["zones_opened"], document["verdict"]["failed"]) == ([], [], False)
    assert {c["src"] for c in document["closed"]} == {"analytics/dashboard[Deployment]"}
    assert not [c for c in document["controls"] if c["new_findings"]]


def test_deleting_a_policy(proposals: dict[str, str]) -> None:
    code, out, _ = run("simulate", *SOURCE, "--delete", "payments/tokenizer-ingress", "--details")
    assert code == 0
    assert "  deleted   payments/tokenizer-ingress" in out and "Connections opened (0):" in out
    assert "analytics/dashboard[Deployment]               payments/tokenizer[Deployment]  TCP 8080" in out
    code, _, err = run("simulate", *SOURCE, "--delete", "payments/nothing")
    assert (code, err.splitlines()[0]) == (2, "segproof: error: payments/nothing: no such NetworkPolicy to delete")


def test_an_admin_policy_that_overrides_the_namespaces_fails_the_gate(tmp_path: Path) -> None:
    proposed = tmp_path / "vault-from-anywhere.yaml"
    proposed.write_text(yaml.safe_dump({
        "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
        "metadata": {"name": "vault-from-anywhere"},
        "spec": {"priority": 5, "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}},
                 "ingress": [{"name": "pg", "action": "Allow", "from": [{"namespaces": {}}],
                              "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]}]}}))
    code, out, err = run("simulate", *SOURCE, *SCOPED, "--proposed", str(proposed), "--fail-on", "fail", "-o", "json")
    assert code == 1, err
    document = json.loads(out)
    assert document["policies"] == [{"policy": "AdminNetworkPolicy/vault-from-anywhere", "change": "added"}]
    assert OFFENDING in document["verdict"]["offending"]
    code, _, err = run("simulate", *SOURCE, "--delete", "AdminNetworkPolicy/vault-from-anywhere")
    assert (code, err.splitlines()[0]) == (2, "segproof: error: AdminNetworkPolicy/vault-from-anywhere: no such "
                                              "AdminNetworkPolicy to delete")


def test_a_commit_of_the_policy_history_is_gated(repository: str) -> None:
    code, out, err = run("simulate", *SOURCE, *SCOPED, "--git", repository, "--base", "HEAD~8", "--head", "HEAD~7",
                         "--path", "clusters/prod/policies", "--fail-on", "fail", "-o", "json")
    assert code == 1, err
    document = json.loads(out)
    assert document["policies"] == [{"policy": "payments/tokenizer-ingress", "change": "modified"}]
    assert ("analytics/dashboard[Deployment] -> payments/tokenizer[Deployment] TCP 8080 (out-of-scope -> cde)"
            in document["verdict"]["offending"])
    inbound = next(c for c in document["controls"] if c["control"] == "pci-dss-4.0.1/1.3.1")
    assert (inbound["before"], inbound["after"]) == ("pass", "fail")
    assert document["before"].startswith("HEAD~8 (") and document["after"].startswith("HEAD~7 (")
    code, out, _ = run("simulate", *SOURCE, *SCOPED, "--git", repository, "--base", "HEAD", "--fail-on", "fail")
    assert code == 0 and "OK: no control gets worse; the change opens 0 and closes 0" in out


def test_markdown_is_a_pull_request_comment(proposals: dict[str, str]) -> None:
    code, out, _ = run("simulate", *SOURCE, *SCOPED, "--proposed", proposals["open-vault"], "--fail-on", "fail",
                       "-o", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "### segproof simulate"
    assert re.match(r":x: \*\*FAIL: \d+ controls would get worse", lines[2])
    assert f"- `{OFFENDING}`" in lines
    assert "| Control | Before | After | Title | New findings | Resolved findings |" in lines
    assert "<details><summary>Connections opened (6)</summary>" in lines
    assert out.count("<details>") == out.count("</details>") == 6


def test_the_text_leads_with_the_verdict_and_counts_the_rest(proposals: dict[str, str]) -> None:
    # A default deny closes 87 connections and resolves hundreds of findings: 408 lines before, now the counts.
    code, out, _ = run("simulate", *SOURCE, *SCOPED, "--proposed", proposals["analytics-deny"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "OK: no control gets worse; the change opens 0 and closes 87 workload connections."
    assert lines[1:7] == ["", "from current policies", f"to   proposed {proposals['analytics-deny']}", "",
                          "Policies changed: 1 (1 added)", "Workload connections: 0 opened, 87 closed"]
    assert re.fullmatch(r"Controls that would change: \d+ \(0 worse; 0 new and \d+ resolved findings\)", lines[8])
    assert lines[-1] == "Every policy, connection, zone path and finding: add --details, or use -o json."
    assert len(lines) < 25 and "Assumptions:" in lines
    code, full, _ = run("simulate", *SOURCE, *SCOPED, "--proposed", proposals["analytics-deny"], "--details")
    assert code == 0 and len(full.splitlines()) > 400
    assert "\nConnections closed (87):\n" in full and "--details" not in full


@pytest.fixture(scope="module")
def open_payments(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A change that allows everything into and out of the CDE: 190 connections, 176 of them offending."""
    path = tmp_path_factory.mktemp("large") / "allow-everything.yaml"
    path.write_text(yaml.safe_dump({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "allow-everything", "namespace": "payments"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}}))
    return str(path)


def test_many_offending_paths_are_cut_in_the_text_unless_asked(open_payments: str) -> None:
    code, out, _ = run("simulate", *SOURCE, *SCOPED, "--proposed", open_payments, "--fail-on", "fail")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("FAIL: ") and lines[2] == "Offending paths:"
    more = next(index for index, line in enumerate(lines) if line.startswith("  ... and "))
    assert more == 3 + 50
    hidden = int(lines[more].split()[2])
    assert lines[more] == f"  ... and {hidden} more (--details lists them all)"
    detailed = run("simulate", *SOURCE, *SCOPED, "--proposed", open_payments, "--details")[1].splitlines()
    assert detailed[3:3 + 50 + hidden] == [f"  {path}" for path in json.loads(run(
        "simulate", *SOURCE, *SCOPED, "--proposed", open_payments, "-o", "json")[1])["verdict"]["offending"]]


def test_a_large_change_in_markdown_fits_a_github_comment_and_says_what_was_cut(open_payments: str) -> None:
    code, out, _ = run("simulate", *SOURCE, *SCOPED, "--proposed", open_payments, "-o", "markdown")
    assert code == 0
    assert len(out) <= 65_536 and out.endswith("\n")
    assert out.count("<details>") == out.count("</details>") == 6
    cut = out.splitlines()[-1]
    assert re.fullmatch(r"\*\*Cut to fit a comment of 65,536 characters:\*\* \d+ of 176 offending paths, \d+ of 190 "
                        r"connections opened, \d+ of \d+ findings not shown; `segproof simulate -o json` has "
                        r"everything\.", cut), cut
    kept = 176 - int(cut.split("** ")[1].split()[0])
    assert out.count("\n- `") >= kept > 50
    assert re.search(r"\n_\d+ more offending paths cut \(see the end\)_\n", out)
    # What is short stays whole: the assumptions and the policies changed.
    assert "<details><summary>Policies changed (1)</summary>\n\n- added `payments/allow-everything`\n" in out
    assert "- complete: yes\n" in out


def test_output_is_deterministic(proposals: dict[str, str]) -> None:
    arguments = ("simulate", *SOURCE, *SCOPED, "--proposed", proposals["open-vault"], "-o", "json")
    assert run(*arguments) == run(*arguments)


@pytest.mark.parametrize(("arguments", "message"), [
    ((), "simulate needs --proposed/--delete or --git, and not both"),
    (("--proposed", "x.yaml", "--git", "."), "simulate needs --proposed/--delete or --git, and not both"),
    (("--delete", "a/b", "--base", "HEAD"), "--base, --head and --path go with --git"),
    (("--git", "."), "--git needs --base REV"),
    (("--delete", "a/b", "--fail-on", "fail"), "--framework and --fail-on need --scope"),
    (("--delete", "nonsense"),
     "--delete: 'nonsense' is not ns/name or Kind/name (CalicoNetworkPolicy/ns/name and CiliumNetworkPolicy/ns/name "
     "for those kinds)"),
])
def test_usage_errors(arguments: tuple[str, ...], message: str) -> None:
    code, out, err = run("simulate", *SOURCE, *arguments)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"segproof: error: {message}"


def test_the_proposed_files_must_be_valid(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({**OPEN_VAULT, "spec": {"podSelector": {}, "policyTypes": ["Sideways"]}}))
    code, _, err = run("simulate", *SOURCE, "--proposed", str(broken))
    assert code == 2 and err.startswith(f"segproof: error: {broken}: document 1: spec.policyTypes")


def test_proposed_calico_policies_are_laid_over_the_source() -> None:
    # The security tier of samples/cluster-calico, proposed on the NetworkPolicy-only sample: the guardrails close
    # every path from outside the scope into the tokenizer, and the simulation says so.
    guardrails = SAMPLES / "cluster-calico"
    code, out, err = run("simulate", *SOURCE, "--proposed", str(guardrails / "security-tier.yaml"),
                         "--proposed", str(guardrails / "network-sets.yaml"), "-o", "json")
    assert code == 0, err
    closed = {(c["src"], c["dst"]) for c in json.loads(out)["closed"]}
    assert ("analytics/dashboard[Deployment]", "payments/tokenizer[Deployment]") in closed
    assert not json.loads(out)["opened"]


def test_proposed_cilium_policies_are_named_by_identity(tmp_path: Path) -> None:
    # A proposed CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy are policy changes of the simulation, named
    # by identity; deleting one names it the same way.
    proposed = tmp_path / "cilium.yaml"
    proposed.write_text(yaml.safe_dump_all([
        {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
         "metadata": {"name": "lock", "namespace": "payments"},
         "spec": {"endpointSelector": {}, "ingressDeny": [{"fromEntities": ["world"]}]}},
        {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "dns"},
         "spec": {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}}]))
    code, out, err = run("simulate", *SOURCE, "--proposed", str(proposed), "-o", "json")
    assert code == 0, err
    changes = [(c["policy"], c["change"]) for c in json.loads(out)["policies"]]
    assert changes == [("CiliumClusterwideNetworkPolicy/dns", "added"), ("CiliumNetworkPolicy/payments/lock", "added")]
    code, _, err = run("simulate", *SOURCE, "--delete", "CiliumNetworkPolicy/payments/lock")
    assert code == 2 and "CiliumNetworkPolicy/payments/lock: no such CiliumNetworkPolicy to delete" in err
