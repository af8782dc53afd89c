"""Approval evidence in commit messages and the approval rule, table-driven."""

from __future__ import annotations

import pytest

from compliance.analysis.approvals import approval_of, same_person
from compliance.model.history import Commit, signature_description
from tests.support.git_repos import RULE, ChangeApproval

MERGE_PARENTS = ("a" * 40, "b" * 40)


def commit(subject: str, body: str = "", parents: tuple[str, ...] = ("a" * 40,), signature: str = "N",
           trailers: tuple[tuple[str, str], ...] = ()) -> Commit:
    """A commit by Alice Ng <alice@example.com>."""
    return Commit("c" * 40, parents, "Alice Ng", "alice@example.com", "2026-01-01T00:00:00Z", "Alice Ng",
                  "alice@example.com", "2026-01-01T00:00:00Z", signature, "", subject, body, trailers)


@pytest.mark.parametrize(("found", "evidence"), [
    (commit("Merge pull request #12 from acme/feature", parents=MERGE_PARENTS),
     ("pull request #12 merged from acme/feature",)),
    (commit("Merge pull request #12 from acme/feature"), ()),
    (commit("Tighten egress (#14)"), ("pull request #14 squash-merged",)),
    (commit("Tighten egress (#14) and more"), ()),
    (commit("Merge branch 'egress' into 'main'", "Tighten egress\n\nSee merge request platform/netpol!31",
            parents=MERGE_PARENTS), ("merge request platform/netpol!31",)),
    (commit("Merge branch 'egress' into 'main'", parents=MERGE_PARENTS), ("branch egress merged into main",)),
    (commit("Merge branch 'egress' into 'main'"), ()),
    (commit("Add c", trailers=(("Reviewed-by", "Bob <bob@example.com>"),)), ("Reviewed-by: Bob <bob@example.com>",)),
    (commit("Add c", trailers=(("approved-by", "Bob Okafor"),)), ("approved-by: Bob Okafor",)),
    (commit("Add c", trailers=(("Reviewed-by", "Alice <ALICE@example.com>"),)), ()),
    (commit("Add c", trailers=(("Reviewed-by", "alice ng"),)), ()),
    (commit("Add c", trailers=(("Signed-off-by", "Bob <bob@example.com>"),)), ()),
    (commit("Direct push"), ()),
], ids=["github merge", "merge message without merge", "squash", "no squash suffix", "gitlab merge request",
        "merged branch", "merged branch message without merge", "reviewed by someone else", "approved-by any case",
        "self review by email", "self review by name", "other trailer", "nothing"])
def test_evidence(found: Commit, evidence: tuple[str, ...]) -> None:
    approval = approval_of(found, RULE)
    assert approval.evidence == evidence
    assert approval.approved == bool(evidence)
    assert (approval.reason == "") == bool(evidence)


@pytest.mark.parametrize(("rule", "found", "approved", "reason"), [
    (ChangeApproval(require_pull_request=False), commit("Direct push"), True, ""),
    (ChangeApproval(require_signed_commits=True), commit("Add (#1)", signature="G"), True, ""),
    (ChangeApproval(require_signed_commits=True), commit("Add (#1)", signature="E"), False,
     "signature is not good (E: cannot be checked)"),
    (ChangeApproval(require_signed_commits=True), commit("Direct push", signature="U"), False,
     "no pull request or merge request, and no Reviewed-by or Approved-by trailer naming someone other than the "
     "author; signature is not good (U: good, unknown validity)"),
    (ChangeApproval(accept_trailers=("Acked-by",)), commit("Add", trailers=(("Reviewed-by", "Bob"),)), False,
     "no pull request or merge request, and no Acked-by trailer naming someone other than the author"),
    (ChangeApproval(accept_trailers=("Acked-by",)), commit("Add", trailers=(("Acked-by", "Bob"),)), True, ""),
])
def test_rule(rule: ChangeApproval, found: Commit, approved: bool, reason: str) -> None:
    approval = approval_of(found, rule)
    assert (approval.approved, approval.reason) == (approved, reason)


def test_people_and_signature_words() -> None:
    assert same_person("Alice Ng <alice@example.com>", "Someone", "ALICE@example.com")
    assert not same_person("Alice Ng <alice@other.example>", "Alice Ng", "alice@example.com")
    assert same_person(" alice ng ", "Alice Ng", "alice@example.com")
    assert [signature_description(s) for s in "GBNZ"] == ["good", "bad", "none", "unknown status 'Z'"]
