"""The command line end to end: reachability and explain on real files, their formats and errors; the conventions
every command shares (YAML beside JSON, usage errors, old spellings, completion, the terminal)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
import yaml
from click.testing import CliRunner

from compliance.cli import main
from compliance.resources import resource_dir
from tests.netpol.builders import admin, baseline, namespace, pod, policy
from tests.support.cli import run
from tests.support.terminal import ROOT, run_on_terminal

SHOP = [
    namespace("shop"),
    namespace("pay", zone="cde"),
    pod("shop/web", {"app": "web"}, ip="10.0.0.1"),
    pod("pay/api", {"app": "api"}, ports=(("https", 8443),), ip="10.0.1.1"),
    policy("pay/default-deny", {"policyTypes": ["Ingress", "Egress"]}),
    policy("pay/api-from-shop", {
        "podSelector": {"matchLabels": {"app": "api"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}],
                     "ports": [{"port": "https"}]}]}),
]


@pytest.fixture
def shop(tmp_path: Path) -> str:
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump_all(SHOP))
    return str(path)


def test_reachability_json_contract(shop: str) -> None:
    code, out, _ = run("reachability", "--manifests", shop, "-o", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["format"], document["level"]) == ("segproof.reachability/v1", "workload")
    assert document["assumptions"]["ipblock_selects_pods"] is True
    assert document["connections"] == [
        {"src": "0.0.0.0-255.255.255.255[External]", "dst": "shop/web[Pod]",
         "ports": [{"protocol": p, "from": 1, "to": 65535} for p in ("TCP", "UDP", "SCTP")], "ambiguous": []},
        {"src": "shop/web[Pod]", "dst": "0.0.0.0-255.255.255.255[External]",
         "ports": [{"protocol": p, "from": 1, "to": 65535} for p in ("TCP", "UDP", "SCTP")], "ambiguous": []},
        {"src": "shop/web[Pod]", "dst": "pay/api[Pod]", "ports": [{"protocol": "TCP", "from": 8443, "to": 8443}],
         "ambiguous": []},
    ]


def test_reachability_levels_and_formats(shop: str) -> None:
    _, namespaces, _ = run("reachability", "--manifests", shop, "--level", "namespace", "-o", "csv")
    assert namespaces.splitlines() == [
        "src,dst,protocol,port_from,port_to,ambiguous",
        "0.0.0.0-255.255.255.255[External],shop,TCP,1,65535,no",
        "0.0.0.0-255.255.255.255[External],shop,UDP,1,65535,no",
        "0.0.0.0-255.255.255.255[External],shop,SCTP,1,65535,no",
        "shop,0.0.0.0-255.255.255.255[External],TCP,1,65535,no",
        "shop,0.0.0.0-255.255.255.255[External],UDP,1,65535,no",
        "shop,0.0.0.0-255.255.255.255[External],SCTP,1,65535,no",
        "shop,pay,TCP,8443,8443,no",
    ]
    _, table, _ = run("reachability", "--manifests", shop, "--level", "pod")
    assert any(line.split() == ["shop/web", "pay/api", "TCP", "8443"] for line in table.splitlines())
    assert "ipblock_selects_pods: yes" in table


def test_reachability_output_is_deterministic(shop: str) -> None:
    assert run("reachability", "--manifests", shop, "-o", "json") == run("reachability", "--manifests", shop,
                                                                        "-o", "json")


def test_explain_names_the_admitting_rule(shop: str) -> None:
    code, out, _ = run("explain", "--manifests", shop, "--from", "shop/web", "--to", "pay/api", "--port", "8443")
    assert code == 0
    assert "ALLOWED: TCP 8443" in out
    assert "ingress at pay/api: isolated by pay/api-from-shop, pay/default-deny" in out
    assert "admits TCP 8443: pay/api-from-shop ingress[0]" in out


def test_explain_names_the_isolation_that_denies(shop: str) -> None:
    code, out, _ = run("explain", "--manifests", shop, "--from", "pay/api", "--to", "shop/web", "-o", "json")
    assert code == 0
    pair = json.loads(out)["pairs"][0]
    assert pair["allowed"] == []
    assert pair["egress"]["isolated"] is True
    assert pair["egress"]["policies"] == ["pay/default-deny"]
    assert pair["egress"]["rules"] == []
    _, text, _ = run("explain", "--manifests", shop, "--from", "pay/api", "--to", "shop/web")
    assert "DENIED" in text and "no egress rules: nothing is admitted" in text


def test_explain_a_rule_that_does_not_match(shop: str) -> None:
    _, out, _ = run("explain", "--manifests", shop, "--from", "8.8.8.8", "--to", "pay/api[Pod]")
    assert "DENIED" in out
    assert "no: pay/api-from-shop ingress[0]: its peers do not include 8.8.8.8" in out


def test_explain_unknown_endpoint_is_a_usage_error(shop: str) -> None:
    code, out, err = run("explain", "--manifests", shop, "--from", "shop/nope", "--to", "pay/api")
    assert (code, out) == (2, "")
    assert err.splitlines() == ["segproof: error: no pod or workload named 'shop/nope'",
                                "hint: use ns/pod, ns/workload, ns/workload[Kind] or an IP address"]


def test_missing_source_is_a_usage_error() -> None:
    code, _, err = run("reachability")
    assert code == 2
    assert err.startswith("segproof: error: no cluster state given")


def test_the_sample_shows_its_headline_finding() -> None:
    code, out, _ = run("reachability", "--manifests", str(resource_dir("samples") / "cluster"), "-o", "json")
    assert code == 0
    found = {(c["src"], c["dst"]): c["ports"] for c in json.loads(out)["connections"]}
    assert found[("analytics/dashboard[Deployment]", "payments/tokenizer[Deployment]")] == [
        {"protocol": "TCP", "from": 8080, "to": 8080}]
    assert ("marketing/campaigns[Deployment]", "payments/card-vault[StatefulSet]") not in found


def test_controls_list_and_show() -> None:
    code, out, _ = run("controls", "list")
    assert code == 0 and "pci-dss-4.0.1" in out and "hipaa-security-rule" in out
    _, out, _ = run("controls", "list", "--framework", "pci-dss")
    assert any(line.split()[:3] == ["pci-dss-4.0.1", "1.3.1", "critical"] for line in out.splitlines())
    code, out, _ = run("controls", "show", "pci-dss", "11.4.5")
    assert code == 0 and out.startswith("pci-dss-4.0.1/11.4.5: ")
    assert "segmentation.zones_isolated" in out and "request:" in out
    code, _, err = run("controls", "show", "pci-dss", "99.9")
    assert code == 2 and "has no control '99.9'" in err


def test_zones_draws_the_matrix_in_text_svg_and_png(tmp_path: Path) -> None:
    sample = ("--manifests", str(resource_dir("samples") / "cluster"), "--scope",
              str(resource_dir("samples") / "scope.yaml"))
    code, out, _ = run("zones", *sample)
    assert code == 0 and "out-of-scope -> cde [into CDE]: TCP 8080" in out
    run("zones", *sample, "-o", "svg", "--out", str(tmp_path / "zones.svg"))
    assert (tmp_path / "zones.svg").read_text().startswith("<?xml")
    run("zones", *sample, "-o", "png", "--out", str(tmp_path / "zones.png"))
    assert (tmp_path / "zones.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_writes_the_controls_as_csv() -> None:
    code, out, _ = run("evaluate", "--manifests", str(resource_dir("samples") / "cluster"), "--scope",
                       str(resource_dir("samples") / "scope.yaml"), "--framework", "cis-kubernetes", "-o", "csv")
    assert code == 0
    assert out.lstrip("\ufeff").splitlines()[0].startswith("framework,control,title,severity,status")
    assert any(line.startswith("cis-kubernetes-1.10,5.3.1,") for line in out.splitlines())


# --- no control passes on nothing ----------------------------------------------------------------

SAMPLE_CLUSTER = str(resource_dir("samples") / "cluster")
SAMPLE_SCOPE = str(resource_dir("samples") / "scope.yaml")
EMPTY_INPUT = "no Kubernetes objects to analyse (no namespace, pod, workload, service or NetworkPolicy)"


def evaluate_pci(scope: str, *options: str) -> tuple[int, dict]:
    """Exit code and PCI DSS 1.3.1 (inbound traffic to the CDE is restricted) of `evaluate` on the sample cluster."""
    code, out, err = run("evaluate", "--manifests", SAMPLE_CLUSTER, "--scope", scope, "--framework", "pci-dss",
                         "-o", "json", "--now", "2026-09-30T12:00:00Z", *options)
    assert out, err
    return code, next(c for c in json.loads(out)["controls"] if c["id"] == "1.3.1")


@pytest.mark.parametrize("empty", [pytest.param("", id="0-byte"), pytest.param("# nothing yet\n---\n", id="comments")])
def test_an_empty_manifest_file_is_an_input_error_not_a_pass(tmp_path: Path, empty: str) -> None:
    manifest = tmp_path / "cluster.yaml"
    manifest.write_text(empty)
    code, out, err = run("evaluate", "--manifests", str(manifest), "--scope", SAMPLE_SCOPE, "--fail-on", "fail")
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"segproof: error: {manifest}: {EMPTY_INPUT}"


def test_empty_sources_of_every_kind_name_their_inputs(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.yaml").write_text("")
    (tmp_path / "b.yaml").write_text("")
    code, _, err = run("reachability", "--manifests", str(tmp_path / "dir"), "--manifests", str(tmp_path / "b.yaml"))
    assert code == 2 and err.startswith(f"segproof: error: {tmp_path / 'dir'}, {tmp_path / 'b.yaml'}: {EMPTY_INPUT}")
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps({"format": "segproof.snapshot/v1", "source": {"type": "cluster"},
                                    "collected_at": "2026-09-30T12:00:00Z", "objects": {}}))
    code, _, err = run("reachability", "--snapshot", str(snapshot))
    assert code == 2 and err.startswith(f"segproof: error: {snapshot}: {EMPTY_INPUT}")
    result = CliRunner().invoke(main, ["collect", "--manifests", "-", "--out", "-"], input="")
    assert result.exit_code == 2 and result.stderr.startswith(f"segproof: error: <stdin>: {EMPTY_INPUT}")


def test_a_namespace_filter_that_matches_nothing_is_a_usage_error_not_a_pass() -> None:
    code, out, err = run("evaluate", "--manifests", SAMPLE_CLUSTER, "-n", "paymnets", "--scope", SAMPLE_SCOPE,
                         "--fail-on", "fail")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"segproof: error: -n: namespace 'paymnets' not found in {SAMPLE_CLUSTER}",
        "hint: did you mean payments? namespaces there: payments, analytics, api-gateway, checkout, ingress-nginx "
        "and 3 more"]


def test_a_namespace_filter_naming_present_namespaces_restricts_the_analysis() -> None:
    code, out, _ = run("reachability", "--manifests", SAMPLE_CLUSTER, "-n", "payments", "-n", "checkout", "-o",
                       "json")
    assert code == 0
    namespaces = {name.split("/")[0] for c in json.loads(out)["connections"] for name in (c["src"], c["dst"])
                  if "[External]" not in name}
    assert namespaces == {"payments", "checkout"}


def test_a_namespace_that_only_its_objects_name_can_be_chosen(tmp_path: Path) -> None:
    # `kubectl get deploy,netpol -A -o yaml` holds no Namespace objects, only objects in namespaces.
    manifest = tmp_path / "shop.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n"
                        "spec: {containers: [{name: web, image: nginx}]}\n")
    code, out, err = run("reachability", "--manifests", str(manifest), "-n", "shop", "-o", "json")
    assert code == 0 and "shop/web[Pod]" in {c["src"] for c in json.loads(out)["connections"]}, err


def test_a_cde_selector_that_matches_nothing_is_an_error_not_a_pass(tmp_path: Path) -> None:
    scope = yaml.safe_load(Path(SAMPLE_SCOPE).read_text())
    cde = next(zone for zone in scope["zones"] if zone["name"] == "cde")
    cde["namespaceSelector"] = {"matchLabels": {"pci-zone": "cardholder-data"}}
    (tmp_path / "scope.yaml").write_text(yaml.safe_dump(scope))

    code, inbound = evaluate_pci(str(tmp_path / "scope.yaml"), "--fail-on", "fail")

    assert (code, inbound["status"]) == (1, "error")
    assert inbound["checks"][0]["summary"] == ("Cannot decide: zone cde holds no workload; check the scope's zone "
                                               "selectors and the input.")
    # The sample's own scope finds its CDE, and 1.3.1 decides on it.
    assert evaluate_pci(SAMPLE_SCOPE)[1]["status"] == "fail"


def test_the_demo_writes_a_signed_pack_that_verifies(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, printed, err = run("demo", "--out", str(out), "--now", "2026-03-31T12:00:00Z")
    assert code == 0, err
    assert "report: " in printed and "signed by CN=ACME Payments segproof demo" in printed
    repository = out / ".demo-policy-repo"
    assert f"--reperform --git {repository}" in printed
    code, verified, err = run("verify", "--chain", str(out), "--trust", str(out / ".demo-key" / "signing.crt"),
                              "--reperform", "--git", str(repository))
    assert code == 0 and "(trusted)" in verified and "set aside" not in verified, err
    assert not list((out / "20260331T120000Z").rglob("signing.key"))
    assert json.loads((out / "20260331T120000Z" / "manifest.json").read_text())["inputs"]["git"]["repository"] == \
        str(repository)
    assert not list(out.glob(".demo-policy-repo.partial-*"))
    # The sample is named by its place in the repository, never by where segproof is installed.
    samples = str(resource_dir("samples"))
    cover = pypdf.PdfReader(out / "20260331T120000Z" / "report.pdf").pages[0].extract_text()
    assert "samples/cluster (bundled)" in " ".join(cover.split()) and samples not in cover
    assert samples not in printed and "sample cluster samples/cluster (bundled)" in printed
    assert samples not in (out / "20260331T120000Z" / "snapshot.json").read_text()


def test_the_calico_demo_analyses_the_guardrails_completely(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, printed, err = run("demo", "--sample", "calico", "--out", str(out), "--now", "2026-03-31T12:00:00Z")
    assert code == 0, err
    assert "sample cluster samples/cluster + samples/cluster-calico (bundled)" in printed
    snapshot = json.loads((out / "20260331T120000Z" / "snapshot.json").read_text())
    assert snapshot["unmodelled"] == {}
    assert [o["metadata"]["name"] for o in snapshot["objects"]["globalnetworkpolicies"]] == [
        "security.cde-egress-guard", "security.cde-ingress-guard", "security.out-of-scope-egress-guard"]
    # The guardrails contain mistake 1 of the sample (see samples/cluster-calico/README.md).
    _, reach, _ = run("reachability", "--manifests", str(resource_dir("samples") / "cluster"), "--manifests",
                      str(resource_dir("samples") / "cluster-calico"), "-o", "json")
    into_tokenizer = sorted(c["src"] for c in json.loads(reach)["connections"] if "tokenizer" in c["dst"])
    assert into_tokenizer == ["monitoring/prometheus[StatefulSet]", "payments/payments-api[Deployment]"]


def test_the_cilium_demo_packs_its_own_cluster_and_scope_completely(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, printed, err = run("demo", "--sample", "cilium", "--out", str(out), "--now", "2026-03-31T12:00:00Z")
    assert code == 0, err
    assert ("sample cluster samples/cluster-cilium (bundled), scope samples/cluster-cilium/scope.yaml (bundled), no "
            "policy history") in printed
    assert "--git" not in printed and not (out / ".demo-policy-repo").exists()
    pack = out / "20260331T120000Z"
    snapshot = json.loads((pack / "snapshot.json").read_text())
    assert snapshot["unmodelled"] == {}
    assert [o["metadata"]["name"] for o in snapshot["objects"]["ciliumclusterwidenetworkpolicies"]] == [
        "cde-guardrail"]
    code, verified, err = run("verify", "--chain", str(out), "--trust", str(out / ".demo-key" / "signing.crt"),
                              "--reperform")
    assert code == 0 and "(trusted)" in verified and "set aside" not in verified, err
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(pack / "report.pdf").pages).split())
    assert "INCOMPLETE ANALYSIS" not in text
    assert "Only NetworkPolicy v1 and Cilium policy objects restrict traffic" in text
    for phrase in ("Cilium policies", "11 Cilium policies with 12 rule sets", "CiliumClusterwideNetworkPolicy/cde-",
                   "Nothing out of PCI DSS scope connects into the CDE", "every endpoint of payments",
                   "egress[2]: FQDN api.processor.example", "a deny rule of any of them wins over every allow"):
        assert phrase in text.replace("\u200b", ""), phrase


def test_ambiguous_ports_are_reachable_and_marked_in_every_format(tmp_path: Path) -> None:
    red, blue = {"namespaces": {"matchLabels": {"team": "red"}}}, [{"namespaces": {"matchLabels": {"team": "blue"}}}]
    objects = [namespace("shop", team="red"), namespace("batch", team="blue"), pod("shop/web"), pod("batch/job"),
               admin("deny", 10, {"subject": red, "ingress": [{"action": "Deny", "from": blue}]}),
               admin("allow-443", 10, {"subject": red, "ingress": [
                   {"action": "Allow", "from": blue, "ports": [{"portNumber": {"protocol": "TCP", "port": 443}}]}]})]
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    _, out, _ = run("reachability", "--manifests", str(path), "-o", "json")
    (into_web,) = [c for c in json.loads(out)["connections"] if c["dst"] == "shop/web[Pod]" and "job" in c["src"]]
    assert into_web["ports"] == into_web["ambiguous"] == [{"protocol": "TCP", "from": 443, "to": 443}]
    _, csv, _ = run("reachability", "--manifests", str(path), "-o", "csv")
    assert "batch/job[Pod],shop/web[Pod],TCP,443,443,yes" in csv.splitlines()
    _, table, _ = run("reachability", "--manifests", str(path))
    assert any("TCP 443 (ambiguous: TCP 443)" in line for line in table.splitlines())
    assert "equal_priorities:" in table


def test_explain_names_the_tiers_that_decide(tmp_path: Path) -> None:
    blue = [{"namespaces": {"matchLabels": {"team": "blue"}}}]
    objects = [namespace("shop", team="red"), namespace("batch", team="blue"), pod("shop/web"), pod("batch/job"),
               admin("hand-over", 5, {"subject": {"namespaces": {"matchLabels": {"team": "red"}}}, "ingress": [
                   {"name": "blue", "action": "Pass", "from": blue}]}),
               baseline({"subject": {"namespaces": {}},
                         "ingress": [{"name": "no-blue", "action": "Deny", "from": blue}]})]
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    code, out, _ = run("explain", "--manifests", str(path), "--from", "batch/job", "--to", "shop/web", "--port", "443")
    assert code == 0
    assert "  DENIED" in out
    assert ('    Admin tier: AdminNetworkPolicy/hand-over (priority 5) ingress[0] "blue": passes TCP 443 on (to '
            "NetworkPolicies, or the Baseline tier where none isolates the pod)") in out.splitlines()
    assert ('    Baseline tier: BaselineAdminNetworkPolicy/default ingress[0] "no-blue": denies TCP 443'
            in out.splitlines())


# --- one style for every command -------------------------------------------------------------------


def segproof(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real command line in a subprocess, with pipes for stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "compliance.cli", *args], capture_output=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=ROOT)


def test_collect_dash_o_still_writes_the_snapshot_with_a_deprecation_warning(tmp_path: Path) -> None:
    code, _, err = run("collect", "--manifests", SAMPLE_CLUSTER, "--now", "2026-09-30T12:00:00Z", "--out",
                       str(tmp_path / "new.json"))
    assert (code, err) == (0, "")
    for spelling in ("-o", "--output"):
        code, _, err = run("collect", "--manifests", SAMPLE_CLUSTER, "--now", "2026-09-30T12:00:00Z", spelling,
                           str(tmp_path / "old.json"))
        assert code == 0
        assert err == "segproof: warning: collect -o/--output is deprecated, use --out\n"
        assert (tmp_path / "old.json").read_bytes() == (tmp_path / "new.json").read_bytes()


@pytest.mark.parametrize("command", [
    ["reachability", "--manifests", SAMPLE_CLUSTER, "--level", "namespace"],
    ["explain", "--manifests", SAMPLE_CLUSTER, "--from", "analytics/dashboard", "--to", "payments/tokenizer"],
    ["evaluate", "--manifests", SAMPLE_CLUSTER, "--scope", SAMPLE_SCOPE, "--framework", "pci-dss", "--now",
     "2026-09-30T12:00:00Z"],
    ["simulate", "--manifests", SAMPLE_CLUSTER, "--delete", "monitoring/default-deny-all"],
], ids=lambda command: command[0])
def test_yaml_output_is_the_json_document(command: list[str]) -> None:
    _, as_json, _ = run(*command, "-o", "json")
    code, as_yaml, err = run(*command, "-o", "yaml")
    assert code == 0, err
    # Equal documents, and the same keys in the same order at every level.
    assert json.dumps(yaml.safe_load(as_yaml)) == json.dumps(json.loads(as_json))


def test_a_mistyped_option_is_one_error_line_and_a_hint() -> None:
    result = segproof("reachability", "--manifest", SAMPLE_CLUSTER)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode().splitlines() == [
        "segproof: error: no such option '--manifest'. Did you mean '--manifests'?",
        "hint: see 'segproof reachability --help'"]


def test_the_completion_script_completes_through_segproof() -> None:
    script = segproof("completion", "bash").stdout.decode()
    assert "_SEGPROOF_COMPLETE=bash_complete" in script
    asked = segproof(env={"_SEGPROOF_COMPLETE": "bash_complete", "COMP_WORDS": "segproof reachability -o ",
                          "COMP_CWORD": "3"})
    assert asked.stdout.decode().splitlines() == ["plain,table", "plain,json", "plain,yaml", "plain,csv"]
    asked = segproof(env={"_SEGPROOF_COMPLETE": "bash_complete", "COMP_WORDS": "segproof comp", "COMP_CWORD": "1"})
    assert asked.stdout.decode().splitlines() == ["plain,completion"]


def test_a_png_goes_to_a_pipe_but_never_to_a_terminal() -> None:
    zones = ("zones", "--manifests", SAMPLE_CLUSTER, "--scope", SAMPLE_SCOPE, "-o", "png")
    code, shown, err = run_on_terminal(*zones, terminal="stdout")
    assert (code, shown) == (2, "")
    assert err.splitlines() == ["segproof: error: -o png writes binary data, not to a terminal",
                                "hint: pass --out FILE, or redirect stdout to a file or a pipe"]
    piped = segproof(*zones)
    assert piped.returncode == 0 and piped.stdout.startswith(b"\x89PNG\r\n\x1a\n")


def test_long_stages_show_on_a_terminal_only() -> None:
    reachability = ("reachability", "--manifests", SAMPLE_CLUSTER)
    code, shown, out = run_on_terminal(*reachability)
    assert code == 0 and "payments/tokenizer[Deployment]" in out
    lines = [line.rsplit("\r", 1)[-1] for line in shown.split("\r\n")]
    assert [re.sub(r"[0-9.]+ s", "T s", line) for line in lines] == [
        "reading the cluster state: done in T s\x1b[K", "analysing: done in T s\x1b[K", ""]
    assert run_on_terminal(*reachability, "-q")[:2] == (0, "")
    assert segproof(*reachability).stderr == b""
