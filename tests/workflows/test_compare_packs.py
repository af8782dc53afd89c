"""`segproof diff` of two real packs of the sample cluster, two months apart: an exception expired, the path into the
CDE closed, analytics isolated. The scope is the test's own, so that the expected differences stay put."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from compliance.analysis.pack_comparison import exception_differences, zone_change
from compliance.evidence.ledger import publish_pack, write_ledger
from compliance.model.snapshot import CLUSTER_POLICY_LISTS
from compliance.netpol.options import AnalysisOptions
from compliance.report.formats import restored
from compliance.resources import resource_dir
from compliance.workflows.inputs import StateSource
from compliance.workflows.publish import publish_assessment
from tests.evidence.builders import complete_pack_files
from tests.support.cli import run
from tests.support.documents import ANALYTICS_DENY
from tests.support.git_repos import BASELINE, admin_policy, guard
from tests.support.renderers import placeholder_report

SAMPLES = resource_dir("samples")
SCOPE = """apiVersion: segproof/v1
kind: Scope
organization: ACME Payments Ltd
system: prod-eu-1
period: {start: 2026-01-01, end: 2026-03-31}
defaultZone: out-of-scope
zones:
  - name: cde
    description: Cardholder data environment
    namespaceSelector: {matchLabels: {pci-zone: cde}}
  - name: connected
    namespaceSelector: {matchExpressions: [{key: pci-zone, operator: In, values: [connected, system]}]}
  - name: internet
    cidrs: [0.0.0.0/0]
    except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
approvedFlows:
  - from: {zone: connected}
    to: {zone: cde, podSelector: {matchLabels: {app: payments-api}}}
    ports: [{port: 8443}]
    justification: Checkout and the API gateway authorise cards
    approver: Jane Doe (CISO)
  - from: {zone: connected, namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}
    to: {zone: cde}
    ports: [{port: 9090}, {port: 9187}]
    justification: Prometheus scrapes metrics
    approver: Jane Doe (CISO)
exceptions:
  - control: pci-dss-4.0.1/1.3.1
    target: analytics/*
    justification: Analytics gets its default deny in PR 27
    approver: Jane Doe (CISO)
    expires: 2026-02-28
"""


def fixed_cluster(target: Path) -> Path:
    """The sample cluster with the TEMP tokenizer rule removed and a default deny in analytics."""
    shutil.copytree(SAMPLES / "cluster", target)
    payments = target / "payments.yaml"
    documents = list(yaml.safe_load_all(payments.read_text()))
    for document in documents:
        if document and document["metadata"]["name"] == "tokenizer-ingress":
            document["spec"]["ingress"] = document["spec"]["ingress"][:1]
    payments.write_text(yaml.safe_dump_all(documents))
    (target / "analytics-deny.yaml").write_text(yaml.safe_dump(ANALYTICS_DENY))
    return target


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Pack A of the sample on 2026-02-01; pack B (also zipped) of the fixed cluster on 2026-03-31."""
    root = tmp_path_factory.mktemp("packs")
    inputs = tmp_path_factory.mktemp("inputs")
    (inputs / "scope.yaml").write_text(SCOPE)
    fixed = fixed_cluster(inputs / "cluster")
    # The comparison reads the CSVs, the snapshot and the manifest: the report PDF is a placeholder.
    for cluster, moment in ((SAMPLES / "cluster", "2026-02-01T12:00:00Z"), (fixed, "2026-03-31T12:00:00Z")):
        publish_assessment(StateSource(manifests=(str(cluster),)), str(inputs / "scope.yaml"), ("pci-dss-4.0.1",),
                           AnalysisOptions(), moment, str(root), make_zip=True, render=placeholder_report)
    return root / "20260201T120000Z", root / "20260331T120000Z"


def test_diff_lists_the_controls_that_changed(packs: tuple[Path, Path]) -> None:
    code, out, err = run("diff", str(packs[0]), str(packs[1]))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"from {packs[0]} (pack 20260201T120000Z-")
    assert lines[2] == "same scope; no git history; pci-dss-4.0.1; same assumptions"
    controls = out.split("Controls (")[1].split("\n\n")[0].splitlines()
    assert ["pci-dss-4.0.1/1.3.1", "fail", "pass", "4", "->", "0"] in [line.split()[:6] for line in controls]


def test_diff_in_json_names_every_kind_of_difference(packs: tuple[Path, Path]) -> None:
    code, out, _ = run("diff", str(packs[0]), str(packs[1]), "-o", "json")
    assert code == 0
    document = json.loads(out)
    assert document["format"] == "segproof.pack-diff/v1"
    assert document["before"]["pack_id"].startswith("20260201T120000Z-")
    assert {"control": "pci-dss-4.0.1/1.3.1", "title": "Inbound traffic to the cardholder data environment is "
            "restricted", "before": "fail", "after": "pass", "open_findings": {"before": 4, "after": 0}
            } in document["controls"]
    zones = {(z["source_zone"], z["destination_zone"]): z for z in document["zones"]}
    assert zones[("internet", "out-of-scope")]["change"] == "closed"
    assert zones[("connected", "cde")]["change"] == "ports changed"
    assert zones[("out-of-scope", "cde")] == {
        "source_zone": "out-of-scope", "destination_zone": "cde", "change": "closed",
        "ports": {"before": "TCP 8080", "after": ""}, "unapproved_ports": {"before": "TCP 8080", "after": ""}}
    assert document["policies"] == [
        {"policy": "analytics/default-deny-all", "change": "added", "fields": []},
        {"policy": "payments/tokenizer-ingress", "change": "changed", "fields": ["spec.ingress"]}]
    assert document["exceptions"] == [{"control": "pci-dss-4.0.1/1.3.1", "target": "analytics/*",
                                       "change": "expired", "state": {"before": "applied", "after": "expired"},
                                       "expires": {"before": "2026-02-28", "after": "2026-02-28"}}]


def with_cluster_policies(pack: Path, target: Path, *policies: dict) -> Path:
    """A copy of a pack whose snapshot holds these cluster policies (the comparison does not verify packs)."""
    shutil.copytree(pack, target)
    snapshot = json.loads((target / "snapshot.json").read_text())
    for policy in policies:
        snapshot["objects"].setdefault(CLUSTER_POLICY_LISTS[policy["kind"]], []).append(policy)
    (target / "snapshot.json").write_text(json.dumps(snapshot))
    return target


def test_diff_lists_cluster_policies_after_the_network_policies(tmp_path: Path, packs: tuple[Path, Path]) -> None:
    cluster_wide = admin_policy("tier-check", {**guard("payments", "analytics"), "tier": "Admin"},
                                kind="ClusterNetworkPolicy")
    before = with_cluster_policies(packs[0], tmp_path / "a", admin_policy("cde-guard", guard("payments", "analytics")),
                                   BASELINE)
    after = with_cluster_policies(packs[1], tmp_path / "b", cluster_wide,
                                  admin_policy("cde-guard", guard("payments", "analytics", priority=20)))
    code, out, err = run("diff", str(before), str(after), "-o", "json")
    assert code == 0, err
    assert json.loads(out)["policies"][2:] == [
        {"policy": "AdminNetworkPolicy/cde-guard", "change": "changed", "fields": ["spec.priority"]},
        {"policy": "BaselineAdminNetworkPolicy/default", "change": "removed", "fields": []},
        {"policy": "ClusterNetworkPolicy/tier-check", "change": "added", "fields": []}]
    text = run("diff", str(before), str(after))[1]
    assert "\nPolicies (5 changed):\n" in text and re.search(r"\nClusterNetworkPolicy/tier-check +added *\n", text)


def test_diff_lists_calico_policies_by_identity(tmp_path: Path, packs: tuple[Path, Path]) -> None:
    guard_policy = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                    "metadata": {"name": "security.cde-guard"}, "spec": {"tier": "security", "order": 100}}
    namespaced = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                  "metadata": {"name": "egress", "namespace": "marketing"}, "spec": {"order": 2000}}
    before, after = (tmp_path / "a", tmp_path / "b")
    for pack, target, policies in ((packs[0], before, [guard_policy]), (packs[1], after, [namespaced])):
        shutil.copytree(pack, target)
        snapshot = json.loads((target / "snapshot.json").read_text())
        for policy in policies:
            plural = "globalnetworkpolicies" if policy["kind"] == "GlobalNetworkPolicy" else "caliconetworkpolicies"
            snapshot["objects"].setdefault(plural, []).append(policy)
        (target / "snapshot.json").write_text(json.dumps(snapshot))
    code, out, err = run("diff", str(before), str(after), "-o", "json")
    assert code == 0, err
    assert json.loads(out)["policies"][-2:] == [
        {"policy": "CalicoNetworkPolicy/marketing/egress", "change": "added", "fields": []},
        {"policy": "GlobalNetworkPolicy/security.cde-guard", "change": "removed", "fields": []}]


def test_zips_and_directories_compare_alike_and_the_output_is_deterministic(packs: tuple[Path, Path]) -> None:
    from_directories = json.loads(run("diff", str(packs[0]), str(packs[1]), "-o", "json")[1])
    zipped = run("diff", f"{packs[0]}.zip", f"{packs[1]}.zip", "-o", "json")
    assert zipped == run("diff", f"{packs[0]}.zip", f"{packs[1]}.zip", "-o", "json")
    from_zips = json.loads(zipped[1])
    for side in ("before", "after"):
        from_zips[side]["location"] = from_directories[side]["location"]
    assert from_zips == from_directories


def test_markdown_and_no_differences(packs: tuple[Path, Path]) -> None:
    code, out, _ = run("diff", str(packs[0]), str(packs[1]), "-o", "markdown")
    assert code == 0
    assert out.startswith("### segproof diff\n\n**Changed: ")
    assert "| `pci-dss-4.0.1/1.3.1` | `analytics/*` | expired | applied -> expired | 2026-02-28 -> 2026-02-28 |" in out
    code, out, _ = run("diff", str(packs[1]), f"{packs[1]}.zip")
    assert code == 0 and "No differences in controls, zone matrix, policies or exceptions." in out


def without_locations(output: str) -> dict:
    document = json.loads(output)
    for side in ("before", "after"):
        del document[side]["location"]
    return document


def test_a_ledger_root_stands_for_its_newest_pack_and_its_two_newest_compare(tmp_path: Path,
                                                                            packs: tuple[Path, Path]) -> None:
    root = packs[0].parent
    expected = run("diff", str(packs[0]), str(packs[1]), "-o", "json")
    assert expected[0] == 0
    assert run("diff", str(packs[0]), str(root), "-o", "json") == expected
    assert run("diff", "--ledger", str(root), "-o", "json") == expected
    code, out, _ = run("diff", str(root), str(packs[1]))
    assert code == 0 and "No differences in controls, zone matrix, policies or exceptions." in out
    # A pack whose directory is gone is read from its zip.
    copy = tmp_path / "ledger"
    shutil.copytree(root, copy)
    shutil.rmtree(copy / packs[1].name)
    code, out, _ = run("diff", "--ledger", str(copy), "-o", "json")
    assert code == 0 and json.loads(out)["after"]["location"] == str(copy / f"{packs[1].name}.zip")
    assert without_locations(out) == without_locations(expected[1])


def test_a_ledger_with_too_few_packs_is_named(tmp_path: Path, packs: tuple[Path, Path]) -> None:
    root = tmp_path / "ledger"
    first = publish_pack(root, complete_pack_files(), created_at="2026-01-31T12:00:00Z")
    code, out, err = run("diff", "--ledger", str(root))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == (f"segproof: error: {root}: the ledger holds 1 pack ({first.manifest.pack_id}); "
                                   "comparing needs 2")
    second = publish_pack(root, complete_pack_files(), created_at="2026-02-28T12:00:00Z", keep=1)
    code, _, err = run("diff", "--ledger", str(root))
    assert code == 2 and err.splitlines()[0] == (
        f"segproof: error: {root}: the ledger holds 1 pack ({second.manifest.pack_id}) and 1 removed by retention; "
        "comparing needs 2")
    (tmp_path / "empty").mkdir()
    code, _, err = run("diff", "--ledger", str(tmp_path / "empty"))
    assert code == 2 and err.startswith(f"segproof: error: {tmp_path / 'empty'}: not a ledger (no ledger.json)")
    write_ledger(tmp_path / "empty", ())
    code, _, err = run("diff", str(packs[0]), str(tmp_path / "empty"))
    assert code == 2 and err.startswith(f"segproof: error: {tmp_path / 'empty'}: the ledger holds 0 packs; "
                                        "comparing needs 1")
    for arguments in ((str(packs[0]),), ("--ledger", str(root), str(packs[0])), ()):
        code, _, err = run("diff", *arguments)
        assert code == 2 and err.startswith("segproof: error: diff compares PACK_A and PACK_B, or with --ledger ROOT "
                                            "its two newest packs"), arguments


def test_something_that_is_not_a_pack_is_named(tmp_path: Path, packs: tuple[Path, Path]) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = run("diff", str(tmp_path / "notes.txt"), str(packs[1]))
    assert code == 2 and err.startswith(f"segproof: error: {tmp_path / 'notes.txt'}: not a pack directory or zip")
    (tmp_path / "empty").mkdir()
    code, _, err = run("diff", str(packs[0]), str(tmp_path / "empty"))
    assert code == 2 and err.startswith(f"segproof: error: {tmp_path / 'empty'}: manifest.json is missing")


def test_spreadsheet_guards_are_removed_and_zone_changes_are_classified() -> None:
    assert (restored("'=SUM(A1)"), restored("'plain"), restored("''=x")) == ("=SUM(A1)", "'plain", "'=x")
    row = {"path": "yes", "ports": "TCP 80", "unapproved_ports": ""}
    assert zone_change(None, row) == "opened"
    assert zone_change(row, {**row, "path": "no", "ports": ""}) == "closed"
    assert zone_change(row, {**row, "ports": "TCP 80,443"}) == "ports changed"
    assert zone_change(row, {**row, "unapproved_ports": "TCP 80"}) == "approval changed"
    assert zone_change(row, dict(row)) is None
    assert zone_change({**row, "path": "no"}, None) is None
    exception = {"control": "c", "target": "t", "justification": "j", "approver": "a", "expires": "2026-12-31",
                 "state": "applied", "findings": "1"}
    renewed = {**exception, "expires": "2027-06-30"}
    assert [(d.change, d.expires_after) for d in exception_differences([exception], [renewed])] == [
        ("changed", "2027-06-30")]
    assert [d.change for d in exception_differences([exception], [])] == ["removed"]
    assert exception_differences([exception], [{**exception, "findings": "3"}]) == ()


def test_diff_lists_cilium_policies_by_identity(tmp_path: Path, packs: tuple[Path, Path]) -> None:
    def web(entity: str) -> dict:
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": "web", "namespace": "marketing"},
                "spec": {"endpointSelector": {}, "egress": [{"toEntities": [entity]}]}}

    clusterwide = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                   "metadata": {"name": "dns"}, "specs": [{"endpointSelector": {}, "egress": [{}]}]}
    before, after = (tmp_path / "a", tmp_path / "b")
    for pack, target, policies in ((packs[0], before, [web("world"), clusterwide]), (packs[1], after, [web("all")])):
        shutil.copytree(pack, target)
        snapshot = json.loads((target / "snapshot.json").read_text())
        for policy in policies:
            plural = policy["kind"].lower().removesuffix("y") + "ies"
            snapshot["objects"].setdefault(plural, []).append(policy)
        (target / "snapshot.json").write_text(json.dumps(snapshot))
    code, out, err = run("diff", str(before), str(after), "-o", "json")
    assert code == 0, err
    assert json.loads(out)["policies"][-2:] == [
        {"policy": "CiliumClusterwideNetworkPolicy/dns", "change": "removed", "fields": []},
        {"policy": "CiliumNetworkPolicy/marketing/web", "change": "changed",
         "fields": ["spec.egress[0].toEntities[0]"]}]
