"""What the changes in the policies' history meant, on real repositories: approval evidence (merges, squashes,
trailers, signatures), the change behind each current object, the connections each change opened and closed,
determinism, and the demo's story."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from compliance.analysis.history_effects import AssessedHistory, assess_history, provenance, with_reachability
from compliance.netpol.connections import Connection
from compliance.netpol.diff import endpoint_zones
from compliance.netpol.options import AnalysisOptions
from compliance.report.history_output import history_csv, history_json
from compliance.scope import ChangeApproval, parse_scope
from compliance.sources.git.history import read_history
from compliance.sources.manifests import load_manifests
from tests.netpol.builders import cluster, namespace, pod, ports
from tests.support.git_repos import (
    BASELINE,
    BOB,
    GITHUB,
    ROOT,
    RULE,
    GitRepo,
    admin_policy,
    build_demo,
    guard,
    ingress_on,
    make_signing_key,
    netpol,
)


def read(repository: str, rule: ChangeApproval, paths: Sequence[str] = ()) -> AssessedHistory:
    """The history of `repository` (under `paths`) with each change's approval under `rule`."""
    return assess_history(read_history(repository, paths=paths), rule)


def test_merges_squashes_and_trailers_as_approval_evidence(repo: GitRepo) -> None:
    repo.write("README.md", text="x\n")
    repo.commit("Initial commit", when="2026-01-01T00:00:00Z")
    with repo.branch("feature"):
        repo.write("p/a.yaml", netpol("shop/a"))
        repo.commit("Work in progress", when="2026-01-02T00:00:00Z")
        repo.write("p/a.yaml", netpol("shop/a", ingress_on("a", 80, "b")))
        repo.commit("Finish a", when="2026-01-03T00:00:00Z")
    merge = repo.merge("feature", "Merge pull request #7 from acme/feature\n\nAdd a", when="2026-01-04T00:00:00Z")
    repo.write("p/b.yaml", netpol("shop/b"))
    repo.commit("Add b (#8)", author=BOB, committer=GITHUB, when="2026-01-05T00:00:00Z")
    repo.write("p/c.yaml", netpol("shop/c"))
    repo.commit("Add c\n\nReviewed-by: Bob Okafor <bob@example.com>", when="2026-01-06T00:00:00Z")
    repo.write("p/d.yaml", netpol("shop/d"))
    repo.commit("Add d\n\nReviewed-by: Alice Ng <ALICE@example.com>", when="2026-01-07T00:00:00Z")
    repo.write("p/e.yaml", netpol("shop/e"))
    repo.commit("Add e", when="2026-01-08T00:00:00Z")

    history = read(repo.path, RULE, paths=["p"])

    assert [(c.change.object, c.change.change, c.approval.approved, c.approval.evidence) for c in history.changes] == [
        ("NetworkPolicy shop/a", "added", True, ("pull request #7 merged from acme/feature",)),
        ("NetworkPolicy shop/b", "added", True, ("pull request #8 squash-merged",)),
        ("NetworkPolicy shop/c", "added", True, ("Reviewed-by: Bob Okafor <bob@example.com>",)),
        ("NetworkPolicy shop/d", "added", False, ()),
        ("NetworkPolicy shop/e", "added", False, ()),
    ]
    assert history.changes[0].change.commit.sha == merge
    assert history.changes[0].change.after.document["spec"]["ingress"][0]["ports"] == [{"port": 80}]
    assert "is the author" in history.changes[3].approval.reason
    lenient = read(repo.path, ChangeApproval(require_pull_request=False), paths=["p"])
    assert all(c.approval.approved for c in lenient.changes)


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")
def test_signed_and_unsigned_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring, empty = tmp_path / "gnupg", tmp_path / "empty-gnupg"
    keyring.mkdir(mode=0o700)
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(keyring))
    try:
        key = make_signing_key()
        repo = GitRepo(tmp_path / "repo")
        repo.write("p/a.yaml", netpol("shop/a"))
        repo.commit("Add a (#1)", signing_key=key, when="2026-01-01T00:00:00Z")
        repo.write("p/b.yaml", netpol("shop/b"))
        repo.commit("Add b (#2)", when="2026-01-02T00:00:00Z")

        history = read(repo.path, ChangeApproval(require_signed_commits=True))
        assert [(c.change.commit.signature, c.change.commit.signer, c.approval.approved) for c in history.changes] == [
            ("G", "Test Signer <signer@example.com>", True), ("N", "", False)]
        assert history.changes[1].approval.reason == "signature is not good (N: none)"

        monkeypatch.setenv("GNUPGHOME", str(empty))
        unverifiable = read(repo.path, ChangeApproval(require_signed_commits=True))
        assert [c.change.commit.signature for c in unverifiable.changes] == ["E", "N"]
        assert not any(c.approval.approved for c in unverifiable.changes)
    finally:
        for home in (keyring, empty):
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"},
                           check=False, capture_output=True)


def test_provenance_points_to_the_change_that_set_the_current_spec(repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a (#1)", when="2026-01-01T00:00:00Z")
    repo.write("p/a.yaml", netpol("shop/a", ingress_on("a", 80, "b")))
    opened = repo.commit("Open 80 (#2)", when="2026-01-02T00:00:00Z")
    repo.git("revert", "--no-edit", opened, when="2026-01-03T00:00:00Z", author=BOB)
    repo.write("p/b.yaml", netpol("shop/b"))
    repo.commit("Add b", when="2026-01-04T00:00:00Z")
    repo.write("p/a.yaml", netpol("shop/a", labels={"team": "shop"}))
    repo.commit("Label a", when="2026-01-05T00:00:00Z")

    history = read(repo.path, RULE)
    records = provenance(history)

    assert [(r.current.display, r.change.change.commit.subject, r.change.change.commit.author_name,
             r.change.approval.approved) for r in records] == [
        ("NetworkPolicy shop/a", 'Revert "Open 80 (#2)"', "Bob Okafor", False),
        ("NetworkPolicy shop/b", "Add b", "Alice Ng", False)]
    assert records[0].current.document == netpol("shop/a", labels={"team": "shop"})
    assert history.changes[-1].change.commit.subject == "Label a" and history.changes[-1].change.change == "modified"


TOPOLOGY = cluster(namespace("shop"), namespace("pay", **{"pci-zone": "cde"}), pod("shop/web", {"app": "web"}),
                   pod("pay/vault", {"app": "vault"}, ports=(("pg", 5432),)))


VAULT_FROM_SHOP = {"podSelector": {"matchLabels": {"app": "vault"}},
                   "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": "pg"}]}]}


def zone_of(name: str) -> str:
    """cde for pay, external for address ranges, general otherwise."""
    return "external" if name.endswith("[External]") else "cde" if name.startswith("pay/") else "general"


def test_each_change_lists_the_connections_it_opened_and_closed(repo: GitRepo) -> None:
    repo.write("p/pay/deny.yaml", netpol("pay/deny"))
    repo.commit("Isolate pay", when="2026-01-01T00:00:00Z")
    repo.write("p/pay/vault.yaml", netpol("pay/vault", VAULT_FROM_SHOP))
    repo.write("p/ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pay"}})
    repo.commit("Let everyone reach the vault", when="2026-01-02T00:00:00Z")
    explicit = repo.git("show", "HEAD:p/pay/vault.yaml").replace("port: pg", "port: pg\n      protocol: TCP")
    repo.write("p/pay/vault.yaml", text=f"# protocol spelled out: the same rules\n{explicit}\n")
    repo.commit("Spell out TCP", when="2026-01-03T00:00:00Z")
    repo.git("rm", "-q", "p/pay/vault.yaml")
    repo.commit("Drop the vault rule", when="2026-01-04T00:00:00Z")

    steps: list[tuple[str, int, int | None]] = []
    history = with_reachability(read(repo.path, RULE), TOPOLOGY, AnalysisOptions(), zone_of=zone_of,
                                progress=lambda what, done, total: steps.append((what, done, total)))

    assert steps == [("policy changes", done, 4) for done in range(1, 5)]
    web_to_vault = Connection("shop/web[Pod]", "pay/vault[Pod]", ports("TCP 5432"))
    isolate, namespace_change, vault, spelled, dropped = history.changes
    assert isolate.opened == () and Connection("shop/web[Pod]", "pay/vault[Pod]", ports("all")) in isolate.closed
    assert (vault.opened, vault.closed) == ((web_to_vault,), ())
    assert (vault.zones_opened, vault.zones_closed) == ((Connection("general", "cde", ports("TCP 5432")),), ())
    assert namespace_change.change.object == "Namespace pay" and namespace_change.opened is None
    assert (spelled.change.change, spelled.opened, spelled.closed) == ("modified", (), ())
    assert (dropped.change.change, dropped.opened, dropped.closed) == ("deleted", (), (web_to_vault,))
    assert history.level == "workload" and history.assumptions["complete"] is True


def test_cluster_policy_changes_open_and_close_connections_in_every_namespace_they_select(repo: GitRepo) -> None:
    repo.write("p/cde-guard.yaml", admin_policy("cde-guard", guard("pay", "shop")))
    repo.commit("Guard the CDE", when="2026-01-01T00:00:00Z")
    repo.write("p/cde-guard.yaml", admin_policy("cde-guard", guard("pay", "shop", action="Pass")))
    repo.commit("Leave it to the namespaces", when="2026-01-02T00:00:00Z")
    repo.write("p/vault.yaml", netpol("pay/vault", VAULT_FROM_SHOP))
    repo.commit("Only pg into the vault", when="2026-01-03T00:00:00Z")
    repo.write("p/baseline.yaml", BASELINE)
    repo.commit("Baseline deny from shop", when="2026-01-04T00:00:00Z")
    repo.git("rm", "-q", "p/cde-guard.yaml")
    repo.commit("Drop the guard", when="2026-01-05T00:00:00Z")

    history = with_reachability(read(repo.path, RULE), TOPOLOGY, AnalysisOptions(), zone_of=zone_of)

    everything, pg = ports("all"), ports("TCP 5432")
    guarded, passed, vault, baseline, dropped = history.changes
    assert [c.change.object for c in history.changes] == [
        "AdminNetworkPolicy/cde-guard", "AdminNetworkPolicy/cde-guard", "NetworkPolicy pay/vault",
        "BaselineAdminNetworkPolicy/default", "AdminNetworkPolicy/cde-guard"]
    assert (guarded.opened, guarded.closed) == ((), (Connection("shop/web[Pod]", "pay/vault[Pod]", everything),))
    assert guarded.zones_closed == (Connection("general", "cde", everything),)
    assert (passed.opened, passed.closed) == ((Connection("shop/web[Pod]", "pay/vault[Pod]", everything),), ())
    assert Connection("shop/web[Pod]", "pay/vault[Pod]", everything - pg) in vault.closed
    # The vault's NetworkPolicy isolates it: the Baseline tier comes after and decides nothing for it.
    assert (baseline.opened, baseline.closed) == ((), ())
    assert (dropped.opened, dropped.closed) == ((), ())
    rows = history_csv(history).splitlines()
    assert rows[1].split(",")[6:8] == ["AdminNetworkPolicy/cde-guard", "added"]


def calico_guard(action: str) -> dict[str, Any]:
    """A Calico GlobalNetworkPolicy of tier default guarding the CDE's ingress with `action` from other zones."""
    return {
        "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "cde-guard"},
        "spec": {"order": 10, "namespaceSelector": "pci-zone == 'cde'", "types": ["Ingress"], "ingress": [
            {"action": action, "source": {"namespaceSelector": "!has(pci-zone)"}}, {"action": "Allow"}]}}


def test_calico_policy_changes_are_tracked_with_what_they_open_and_close(repo: GitRepo) -> None:
    repo.write("p/cde-guard.yaml", calico_guard("Deny"))
    repo.commit("Guard the CDE with Calico", when="2026-01-01T00:00:00Z")
    repo.write("p/cde-guard.yaml", calico_guard("Allow"))
    repo.commit("Open it again", when="2026-01-02T00:00:00Z")
    repo.git("rm", "-q", "p/cde-guard.yaml")
    repo.commit("Drop the guard", when="2026-01-03T00:00:00Z")

    history = with_reachability(read(repo.path, RULE), TOPOLOGY, AnalysisOptions(), zone_of=zone_of)

    into_vault = Connection("shop/web[Pod]", "pay/vault[Pod]", ports("all"))
    added, opened, dropped = history.changes
    assert [c.change.object for c in history.changes] == ["GlobalNetworkPolicy/cde-guard"] * 3
    assert (added.opened, added.closed) == ((), (into_vault,))
    assert (opened.opened, opened.closed) == ((into_vault,), ())
    assert (dropped.opened, dropped.closed) == ((), ())  # Allow then nothing: the vault stays open


def test_output_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = set()
    for build in ("first", "second"):
        repo = GitRepo(tmp_path / build / "repo")
        repo.write("p/pay/deny.yaml", netpol("pay/deny"))
        repo.write("p/pay/vault.yaml", netpol("pay/vault", VAULT_FROM_SHOP))
        repo.commit("Add pay policies (#3)", when="2026-01-01T00:00:00Z")
        repo.git("rm", "-q", "p/pay/deny.yaml")
        repo.commit("Drop the deny-all", when="2026-01-02T00:00:00Z")
        monkeypatch.chdir(tmp_path / build)
        history = with_reachability(read("repo", RULE), TOPOLOGY, AnalysisOptions(), zone_of=zone_of)
        outputs.add((history_json(history), history_csv(history)))
    assert len(outputs) == 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository, built twice to check that the builds are identical."""
    first, second = tmp_path_factory.mktemp("demo-a") / "repo", tmp_path_factory.mktemp("demo-b") / "repo"
    assert build_demo(first) == build_demo(second)
    return first


def test_demo_history_tells_its_story(demo: Path) -> None:
    sample = load_manifests([str(ROOT / "samples" / "cluster")], "2026-04-01T00:00:00Z")
    scope = parse_scope((ROOT / "samples" / "scope.yaml").read_text(encoding="utf-8"), "scope.yaml")
    zone_of = endpoint_zones(sample.pods, sample.topology_labels(), scope)
    history = with_reachability(read(str(demo), scope.change_approval, paths=["clusters/prod/policies"]),
                                sample, AnalysisOptions(), zone_of=zone_of,
                                address_cuts=scope.address_cuts)

    unapproved = {c.change.commit.subject for c in history.changes if not c.approval.approved}
    assert unapproved == {"Allow partner webhooks from the gateway"}
    opening = [c for c in history.changes if c.change.commit.subject.startswith("Let the re-tokenization job")]
    assert [(c.change.object, c.change.change) for c in opening] == [
        ("NetworkPolicy payments/tokenizer-ingress", "modified")]
    assert opening[0].approval.evidence == ("Reviewed-by: Carol Diaz <carol@acme-payments.example>",)
    assert Connection("analytics/dashboard[Deployment]", "payments/tokenizer[Deployment]",
                      ports("TCP 8080")) in opening[0].opened
    assert Connection("out-of-scope", "cde", ports("TCP 8080")) in opening[0].zones_opened
    webhooks = next(c for c in history.changes if c.change.object == "NetworkPolicy api-gateway/allow-partner-webhooks")
    assert Connection("connected", "internet", ports("all")) in webhooks.zones_opened
    restricted, reverted = [c for c in history.changes if c.change.object == "NetworkPolicy checkout/allow-dns-egress"
                            and c.change.change == "modified"]
    assert restricted.closed == reverted.opened != ()
    assert not [c for c in history.changes if "tidy-layout" in c.change.commit.subject]
    coredns = next(r for r in provenance(history) if r.current.display == "NetworkPolicy kube-system/coredns")
    assert coredns.current.path == "clusters/prod/policies/kube-system/coredns.yaml"
    assert coredns.change.change.commit.subject == "Merge pull request #1 from acme/baseline"
    assert coredns.change.change.path == "clusters/prod/policies/kube-system/dns.yaml"


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")
def test_bad_and_unknown_validity_signatures_are_not_good(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    signer_home, verifier_home = tmp_path / "signer", tmp_path / "verifier"
    for home in (signer_home, verifier_home):
        home.mkdir(mode=0o700)
    try:
        monkeypatch.setenv("GNUPGHOME", str(signer_home))
        key = make_signing_key()
        repo = GitRepo(tmp_path / "repo")
        repo.write("p/a.yaml", netpol("shop/a"))
        repo.commit("Add a (#1)", signing_key=key, when="2026-01-01T00:00:00Z")
        repo.write("p/b.yaml", netpol("shop/b"))
        repo.commit("Add b (#2)", signing_key=key, when="2026-01-02T00:00:00Z")
        # A signed commit whose content was altered after signing: the signature no longer matches (B).
        original = subprocess.run(["git", "cat-file", "commit", "HEAD"], cwd=repo.path, check=True,
                                  capture_output=True).stdout
        forged = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo.path, check=True,
                                input=original.replace(b"Add b (#2)", b"Add b (#3)"), capture_output=True)
        subprocess.run(["git", "update-ref", "refs/heads/main", forged.stdout.decode().strip()], cwd=repo.path,
                       check=True)
        public = subprocess.run(["gpg", "--armor", "--export", key], check=True, capture_output=True).stdout
        # The verifier holds the key but has not certified it: good signature, unknown validity (U).
        monkeypatch.setenv("GNUPGHOME", str(verifier_home))
        subprocess.run(["gpg", "--batch", "--import"], input=public, check=True, capture_output=True)
        history = read(repo.path, ChangeApproval(require_signed_commits=True))
        assert [c.change.commit.signature for c in history.changes] == ["U", "B"]
        assert not any(c.approval.approved for c in history.changes)
        assert "signature is not good (B: " in history.changes[1].approval.reason
    finally:
        for home in (signer_home, verifier_home):
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"},
                           check=False, capture_output=True)


def cilium_guard(entity: str) -> dict[str, Any]:
    """A CiliumClusterwideNetworkPolicy denying the CDE's ingress from `entity`."""
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "cde-guard"},
            "spec": {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "pay"}},
                     "ingressDeny": [{"fromEntities": [entity]}]}}


def test_cilium_policy_changes_are_tracked_by_identity(repo: GitRepo) -> None:
    repo.write("p/cde-guard.yaml", cilium_guard("world"))
    repo.write("p/web.yaml", {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                              "metadata": {"name": "web", "namespace": "shop"},
                              "spec": {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}})
    repo.commit("Guard the CDE with Cilium", when="2026-01-01T00:00:00Z")
    repo.write("p/cde-guard.yaml", cilium_guard("cluster"))
    repo.commit("Deny the cluster too", when="2026-01-02T00:00:00Z")
    repo.git("rm", "-q", "p/cde-guard.yaml")
    repo.commit("Drop the guard", when="2026-01-03T00:00:00Z")

    history = with_reachability(read(repo.path, RULE), TOPOLOGY, AnalysisOptions(), zone_of=zone_of)

    assert [(c.change.object, c.change.change) for c in history.changes] == [
        ("CiliumClusterwideNetworkPolicy/cde-guard", "added"), ("CiliumNetworkPolicy/shop/web", "added"),
        ("CiliumClusterwideNetworkPolicy/cde-guard", "modified"), ("CiliumClusterwideNetworkPolicy/cde-guard",
                                                                   "deleted")]


def test_a_commit_adding_a_cilium_deny_closes_what_it_denies(repo: GitRepo) -> None:
    repo.write("p/cde-guard.yaml", cilium_guard("cluster"))
    repo.commit("Guard the CDE with Cilium", when="2026-01-01T00:00:00Z")
    repo.git("rm", "-q", "p/cde-guard.yaml")
    repo.commit("Drop the guard", when="2026-01-02T00:00:00Z")

    history = with_reachability(read(repo.path, RULE), TOPOLOGY, AnalysisOptions(), zone_of=zone_of)

    into_vault = Connection("shop/web[Pod]", "pay/vault[Pod]", ports("all"))
    added, dropped = history.changes
    assert added.opened == () and into_vault in added.closed
    assert (dropped.opened, dropped.closed) == (added.closed, ())
