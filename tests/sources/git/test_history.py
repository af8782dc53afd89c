"""Reading the git history of policy manifests on real repositories: changes, identity across files, date ranges,
broken files, and git errors that name what failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.analysis.history_effects import assess_history, provenance
from compliance.errors import EXIT_UNREACHABLE, GitSourceError, InvalidValue, ManifestError
from compliance.model.history import History
from compliance.sources.git.history import read_history
from compliance.sources.git.revision import read_revision
from tests.support.git_repos import ALICE, BASELINE, BOB, RULE, GitRepo, admin_policy, guard, ingress_on, netpol


def summary(history: History) -> list[tuple[str, str, str, str]]:
    """(commit subject, change, object, path) of every change."""
    return [(c.commit.subject, c.change, c.object, c.path) for c in history.changes]


def test_added_modified_deleted_with_authors_and_utc_times(repo: GitRepo) -> None:
    repo.write("README.md", text="policies\n")
    repo.commit("Initial commit", when="2026-01-01T09:00:00+01:00")
    repo.write("policies/shop/deny.yaml", netpol("shop/deny"))
    repo.write("policies/shop/db.yaml", netpol("shop/db", ingress_on("db", 5432, "web")))
    repo.write("notes/other.yaml", netpol("other/ignored"))
    repo.commit("Add shop policies", when="2026-01-02T10:00:00+02:00")
    repo.write("policies/shop/db.yaml", netpol("shop/db", ingress_on("db", 5433, "web")))
    repo.commit("Move the db port", author=BOB, committer=ALICE, when="2026-01-03T10:00:00-05:00")
    repo.git("rm", "-q", "policies/shop/deny.yaml")
    repo.commit("Drop the deny-all", when="2026-01-04T10:00:00+00:00")

    history = read_history(repo.path, paths=["policies/"])

    assert summary(history) == [
        ("Add shop policies", "added", "NetworkPolicy shop/db", "policies/shop/db.yaml"),
        ("Add shop policies", "added", "NetworkPolicy shop/deny", "policies/shop/deny.yaml"),
        ("Move the db port", "modified", "NetworkPolicy shop/db", "policies/shop/db.yaml"),
        ("Drop the deny-all", "deleted", "NetworkPolicy shop/deny", "policies/shop/deny.yaml"),
    ]
    moved = history.changes[2]
    assert (moved.commit.author, moved.commit.committer) == ("Bob Okafor <bob@example.com>",
                                                               "Alice Ng <alice@example.com>")
    assert (moved.commit.authored_at, moved.commit.committed_at) == ("2026-01-03T15:00:00Z", "2026-01-03T15:00:00Z")
    assert moved.before.document["spec"]["ingress"][0]["ports"] == [{"port": 5432}]
    assert history.paths == ("policies",)
    assert history.commit == repo.git("rev-parse", "HEAD")
    assert [o.display for o in history.final] == ["NetworkPolicy shop/db"]


def test_renames_moves_between_files_and_formatting_keep_identity(repo: GitRepo) -> None:
    repo.write("p/all.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
               netpol("shop/a"), netpol("shop/b"))
    first = repo.commit("Add a and b in one file", when="2026-01-01T00:00:00Z")
    repo.git("mv", "p/all.yaml", "p/both.yaml")
    repo.commit("Rename the file", when="2026-01-02T00:00:00Z")
    repo.write("p/both.yaml", netpol("shop/a"))
    repo.write("p/ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    repo.write("p/b.yaml", text="# b moved here, keys reordered\nspec: {podSelector: {}}\nkind: NetworkPolicy\n"
                                "metadata: {namespace: shop, name: b}\napiVersion: networking.k8s.io/v1\n")
    repo.commit("Split the file", when="2026-01-03T00:00:00Z")
    repo.git("rm", "-q", "p/both.yaml")
    repo.write("p/a.yaml", netpol("shop/a", ingress_on("a", 80, "b")))
    moved = repo.commit("Move a to its own file and open port 80", when="2026-01-04T00:00:00Z")
    repo.write("p/ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop",
                                                                                 "labels": {"pci-zone": "cde"}}})
    repo.commit("Put shop in the CDE", when="2026-01-05T00:00:00Z")

    history = read_history(repo.path)

    assert summary(history) == [
        ("Add a and b in one file", "added", "Namespace shop", "p/all.yaml"),
        ("Add a and b in one file", "added", "NetworkPolicy shop/a", "p/all.yaml"),
        ("Add a and b in one file", "added", "NetworkPolicy shop/b", "p/all.yaml"),
        ("Move a to its own file and open port 80", "modified", "NetworkPolicy shop/a", "p/a.yaml"),
        ("Put shop in the CDE", "modified", "Namespace shop", "p/ns.yaml"),
    ]
    assert history.changes[3].previous_path == "p/both.yaml"
    assert {o.display: o.path for o in history.final} == {
        "Namespace shop": "p/ns.yaml", "NetworkPolicy shop/a": "p/a.yaml", "NetworkPolicy shop/b": "p/b.yaml"}
    origins = {p.current.display: (p.change.change.commit.sha, p.change.change.path)
               for p in provenance(assess_history(history, RULE))}
    assert origins["NetworkPolicy shop/b"] == (first, "p/all.yaml")
    assert origins["NetworkPolicy shop/a"] == (moved, "p/a.yaml")


def test_since_and_until_select_commits_by_committed_time(repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a", when="2026-01-10T12:00:00Z")
    repo.write("p/a.yaml", netpol("shop/a", ingress_on("a", 80, "b")))
    repo.commit("Open 80", when="2026-02-10T23:30:00Z")
    repo.write("p/b.yaml", netpol("shop/b"))
    repo.commit("Add b", when="2026-03-10T12:00:00Z")

    february = read_history(repo.path, since="2026-02-01", until="2026-02-10")
    assert summary(february) == [("Open 80", "modified", "NetworkPolicy shop/a", "p/a.yaml")]
    assert (february.since, february.until) == ("2026-02-01T00:00:00Z", "2026-02-10T23:59:59Z")
    assert [o.display for o in february.initial] == ["NetworkPolicy shop/a"]
    assert "ingress" not in february.changes[0].before.document["spec"]

    march = read_history(repo.path, since="2026-03-01T01:00:00+01:00")
    assert summary(march) == [("Add b", "added", "NetworkPolicy shop/b", "p/b.yaml")]
    assert [p.change.change.commit.subject if p.change else None
            for p in provenance(assess_history(march, RULE))] == [None, "Add b"]
    assert summary(read_history(repo.path, until="2026-01-31")) == [
        ("Add a", "added", "NetworkPolicy shop/a", "p/a.yaml")]
    assert read_history(repo.path, since="2027-01-01").changes == ()
    with pytest.raises(InvalidValue, match="--since: invalid date 'last tuesday'"):
        read_history(repo.path, since="last tuesday")
    with pytest.raises(InvalidValue, match="--until: invalid date '9999-12-31T23:00:00-05:00'"):
        read_history(repo.path, until="9999-12-31T23:00:00-05:00")


def test_commits_whose_time_names_no_moment_are_kept_without_it_in_every_window(repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a", when="2026-01-10T12:00:00Z")
    repo.write("p/b.yaml", netpol("shop/b"))
    beyond = repo.commit_stamped("Add b in the year 3170843", "99999999999999 +0000")
    repo.write("p/c.yaml", netpol("shop/c"))
    offset = repo.commit_stamped("Add c at +9999", "1700000000 +9999")
    repo.write("p/d.yaml", netpol("shop/d"))
    repo.commit("Add d", when="2026-03-10T12:00:00Z")

    history = read_history(repo.path)

    assert [(c.commit.subject, c.commit.authored_at, c.commit.committed_at) for c in history.changes] == [
        ("Add b in the year 3170843", "", ""), ("Add c at +9999", "", ""),
        ("Add a", "2026-01-10T12:00:00Z", "2026-01-10T12:00:00Z"),
        ("Add d", "2026-03-10T12:00:00Z", "2026-03-10T12:00:00Z")]
    assert history.warnings == tuple(
        f"commit {sha[:12]}: the {field} time {shown!r} is not a valid time; the commit is kept without it and "
        "counts as within every --since/--until window"
        for sha, shown in ((beyond, "3170843-11-07T09:46:39+00:00"), (offset, "2023-11-19T02:52:20+99:99"))
        for field in ("author", "committer"))
    february = read_history(repo.path, since="2026-02-01", until="2026-02-28")
    assert summary(february) == [("Add b in the year 3170843", "added", "NetworkPolicy shop/b", "p/b.yaml"),
                                 ("Add c at +9999", "added", "NetworkPolicy shop/c", "p/c.yaml")]
    assert [o.display for o in february.initial] == ["NetworkPolicy shop/a"]


def test_a_broken_manifest_is_noted_and_the_history_goes_on(repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a", when="2026-01-01T00:00:00Z")
    repo.write("p/a.yaml", text="apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                "metadata: {name: a, namespace: shop}\nspec: {podSelector: []}\n")
    broken = repo.commit("Break a", when="2026-01-02T00:00:00Z")
    repo.write("p/junk.yaml", text="key: [unclosed\n")
    repo.commit("Add junk", when="2026-01-03T00:00:00Z")
    repo.write("p/a.yaml", netpol("shop/a", ingress_on("a", 80, "b")))
    repo.commit("Fix a", when="2026-01-04T00:00:00Z")

    history = read_history(repo.path)

    assert [(c.commit.subject, c.change, c.object, c.error) for c in history.changes] == [
        ("Add a", "added", "NetworkPolicy shop/a", ""),
        ("Break a", "modified", "", "p/a.yaml: document 1: spec.podSelector: must be an object, not a list"),
        ("Add junk", "added", "", "p/junk.yaml: document 1: invalid YAML at line 2 column 1: "
                                  "did not find expected ',' or ']'"),
        ("Fix a", "modified", "NetworkPolicy shop/a", ""),
    ]
    assert "ingress" not in history.changes[3].before.document["spec"]
    with pytest.raises(ManifestError) as raised:
        read_revision(repo.path, broken)
    assert (raised.value.file, raised.value.document, raised.value.field) == (
        f"{broken[:12]}:p/a.yaml", 1, "spec.podSelector")


def test_unreadable_versions_non_utf8_and_missing_blobs(repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a", when="2026-01-01T00:00:00Z")
    (repo.root / "p/a.yaml").write_bytes(b"kind: NetworkPolicy\n# caf\xe9\n")
    repo.git("add", "p/a.yaml")
    repo.commit("Latin-1 a", when="2026-01-02T00:00:00Z")

    history = read_history(repo.path)

    assert [(c.commit.subject, c.change, c.error) for c in history.changes] == [
        ("Add a", "added", ""), ("Latin-1 a", "modified", "p/a.yaml: not UTF-8 text")]
    blob = repo.git("rev-parse", "HEAD~1:p/a.yaml")
    (repo.root / ".git/objects" / blob[:2] / blob[2:]).unlink()
    with pytest.raises(GitSourceError, match=f"cannot read p/a.yaml \\(blob {blob}\\)") as raised:
        read_history(repo.path)
    assert raised.value.exit_code == EXIT_UNREACHABLE


def test_git_errors_name_what_failed(tmp_path: Path, repo: GitRepo) -> None:
    repo.write("p/a.yaml", netpol("shop/a"))
    repo.commit("Add a")
    (tmp_path / "plain").mkdir()
    cases = [
        (lambda: read_history(str(tmp_path / "missing")), "missing: no such directory"),
        (lambda: read_history(str(tmp_path / "plain")), "plain: not a git repository"),
        (lambda: read_history(repo.path, rev="no-such-branch"), "'no-such-branch' is not a commit"),
        (lambda: read_history(repo.path, rev="--output=/tmp/x"), "'--output=/tmp/x' is not a commit"),
        (lambda: read_history(repo.path, paths=["q"]), "no commit in the history of HEAD touches 'q'"),
        (lambda: read_history(repo.path, paths=["../p"]), "path '../p' is not inside the repository"),
        (lambda: read_revision(repo.path, paths=["q"]), "'q' does not exist at HEAD"),
    ]
    for call, message in cases:
        with pytest.raises(GitSourceError, match=message) as raised:
            call()
        assert raised.value.exit_code == EXIT_UNREACHABLE


def test_cluster_policies_are_tracked_by_kind_and_name(repo: GitRepo) -> None:
    repo.write("p/guard.yaml", admin_policy("cde-guard", guard("pay", "shop")), netpol("shop/deny"))
    repo.write("p/baseline.yaml", BASELINE)
    # Another version of the kind is not modelled, and so not tracked.
    repo.write("p/future.yaml", {**admin_policy("future", guard("pay", "shop")),
                                 "apiVersion": "policy.networking.k8s.io/v1beta1"})
    repo.commit("Guard the CDE", when="2026-01-01T00:00:00Z")
    repo.git("mv", "p/guard.yaml", "p/admin.yaml")
    repo.commit("Rename the file", when="2026-01-02T00:00:00Z")
    repo.write("p/admin.yaml", admin_policy("cde-guard", guard("pay", "shop", action="Allow")), netpol("shop/deny"))
    repo.commit("Let shop in", when="2026-01-03T00:00:00Z")
    repo.git("rm", "-q", "p/baseline.yaml")
    repo.commit("Drop the baseline", when="2026-01-04T00:00:00Z")

    history = read_history(repo.path)

    assert summary(history) == [
        ("Guard the CDE", "added", "AdminNetworkPolicy/cde-guard", "p/guard.yaml"),
        ("Guard the CDE", "added", "BaselineAdminNetworkPolicy/default", "p/baseline.yaml"),
        ("Guard the CDE", "added", "NetworkPolicy shop/deny", "p/guard.yaml"),
        ("Let shop in", "modified", "AdminNetworkPolicy/cde-guard", "p/admin.yaml"),
        ("Drop the baseline", "deleted", "BaselineAdminNetworkPolicy/default", "p/baseline.yaml"),
    ]
    modified = history.changes[3]
    assert modified.target.key == ("AdminNetworkPolicy", "", "cde-guard")
    assert modified.after.policy.key == "AdminNetworkPolicy/cde-guard"
    assert modified.before.document["spec"]["ingress"][0]["action"] == "Deny"
    assert [o.display for o in history.final] == ["AdminNetworkPolicy/cde-guard", "NetworkPolicy shop/deny"]
    revision = read_revision(repo.path)
    assert [p.key for p in revision.policies] == ["AdminNetworkPolicy/cde-guard", "shop/deny"]
    assert [(r.current.display, r.change.change.commit.subject) for r in provenance(assess_history(history, RULE))
            ] == [("AdminNetworkPolicy/cde-guard", "Let shop in"), ("NetworkPolicy shop/deny", "Guard the CDE")]
