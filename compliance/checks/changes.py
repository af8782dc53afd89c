"""Change checks: approval of policy changes in git, drift from git, and periodic review across packs."""

from __future__ import annotations

from compliance.checks.context import CheckContext
from compliance.checks.registry import CheckResult, check


def not_applicable(check_id: str, reason: str) -> CheckResult:
    """A check whose input was not given."""
    return CheckResult(check_id, "not_applicable", reason)


@check("change.approved", "Every change to the policies in the period was approved", evidence=("changes",),
       reachability=False)
def change_approved(context: CheckContext) -> CheckResult:
    """Policy changes in the assessment period meet the scope's change-approval rule."""
    return not_applicable("change.approved", "No git repository of the policies was given (--git); change "
                          "approval cannot be assessed.")


@check("change.no_drift", "The cluster runs the policies approved in git", evidence=("drift",), reachability=False)
def no_drift(context: CheckContext) -> CheckResult:
    """Every policy in the cluster matches git, and every policy in git is applied."""
    return not_applicable("change.no_drift", "No git repository of the policies was given (--git); drift cannot "
                          "be assessed.")


@check("review.periodic", "Segmentation evidence is produced at least every six months", reachability=False)
def periodic_review(context: CheckContext) -> CheckResult:
    """Earlier evidence packs show the configuration is reviewed on schedule."""
    return not_applicable("review.periodic", "No earlier evidence packs were given; the review interval cannot be "
                          "assessed.")
