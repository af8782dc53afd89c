"""Evidence that a change to the policy manifests was reviewed: pull/merge requests, review trailers, signatures.

The evidence is what the commit itself says: a hosting platform's merge or squash message, or a trailer
naming a reviewer. It shows the change went through the review process; it does not prove who pressed
the button (that needs the platform's audit log, or signed merge commits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.model.history import Commit, signature_description
from compliance.scope import ChangeApproval

GITHUB_MERGE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
SQUASHED_PULL_REQUEST = re.compile(r"\(#(\d+)\)\s*$")
GITLAB_MERGE_REQUEST = re.compile(r"^See merge request (\S*!\d+)\s*$", re.MULTILINE)
MERGED_BRANCH = re.compile(r"^Merge branch '([^']+)' into '?([^'\s]+)'?")
PERSON = re.compile(r"^(?P<name>[^<]*?)\s*(?:<(?P<email>[^>]*)>)?\s*$")


@dataclass(frozen=True)
class Approval:
    """The review evidence a commit carries, and whether it meets the approval rule (reason says why not)."""

    evidence: tuple[str, ...]
    approved: bool
    reason: str = ""


def merge_evidence(commit: Commit) -> list[str]:
    """Pull or merge requests that the commit message says the commit landed through."""
    found = []
    github = GITHUB_MERGE.match(commit.subject)
    if github and commit.is_merge:
        found.append(f"pull request #{github.group(1)} merged from {github.group(2)}")
    squashed = SQUASHED_PULL_REQUEST.search(commit.subject)
    if squashed and not commit.is_merge:
        found.append(f"pull request #{squashed.group(1)} squash-merged")
    gitlab = GITLAB_MERGE_REQUEST.search(commit.body)
    if gitlab:
        found.append(f"merge request {gitlab.group(1)}")
    branch = MERGED_BRANCH.match(commit.subject)
    if branch and commit.is_merge and not gitlab:
        found.append(f"branch {branch.group(1)} merged into {branch.group(2)}")
    return found


def same_person(named: str, name: str, email: str) -> bool:
    """Whether `Name <email>` (or a bare name) names the given person: by email when it has one."""
    match = PERSON.match(named.strip())
    if match is None:
        return False
    if match.group("email"):
        return match.group("email").strip().lower() == email.strip().lower()
    return match.group("name").strip().lower() == name.strip().lower()


def approval_of(commit: Commit, rule: ChangeApproval) -> Approval:
    """The evidence found on a commit and whether it meets `rule`.

    Approved when review evidence is not required or some was found (a pull/merge request, or an accepted
    trailer naming someone other than the author), and, when signatures are required, the signature is good.
    """
    accepted = {key.lower() for key in rule.accept_trailers}
    reviews: list[str] = []
    self_reviews: list[str] = []
    for key, value in commit.trailers:
        if key.lower() in accepted:
            own = same_person(value, commit.author_name, commit.author_email)
            (self_reviews if own else reviews).append(f"{key}: {value}")
    merges = merge_evidence(commit)
    evidence = (*merges, *reviews)
    reasons = []
    if rule.require_pull_request and not evidence:
        trailers = " or ".join(rule.accept_trailers) or "review"
        reasons.append(f"no pull request or merge request, and no {trailers} trailer naming someone "
                       "other than the author" + (f" ({'; '.join(self_reviews)} is the author)" if self_reviews
                                                   else ""))
    if rule.require_signed_commits and commit.signature != "G":
        reasons.append(f"signature is not good ({commit.signature}: {signature_description(commit.signature)})")
    return Approval(evidence, not reasons, "; ".join(reasons))
