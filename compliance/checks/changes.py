"""Change checks: approval of policy changes in git, drift from git, and periodic review across packs."""

from __future__ import annotations

import datetime
import itertools

from compliance.analysis.system import AssessedSystem
from compliance.checks.registry import CheckResult, EvidenceTable, Finding, NothingToExamine, check, result
from compliance.model.status import Status
from compliance.wording import agreeing, counted, every

REVIEW_INTERVAL_DAYS = 183


def period(since: str | None, until: str | None) -> str:
    """`the period 2026-07-01..2026-09-30` (or the whole history) as read from git."""
    if since is None and until is None:
        return "the history read"
    return f"the period {(since or '')[:10]}..{(until or '')[:10]}"


@check("change.approved", "Every change to the policies in the period was approved", evidence=("changes",),
       reachability=False)
def change_approved(system: AssessedSystem) -> CheckResult:
    """Policy changes in the assessment period meet the scope's change-approval rule."""
    assessed = system.history
    if assessed is None:
        raise NothingToExamine("No git repository of the policies was given (--git); change approval cannot be "
                               "assessed.")
    if not assessed.changes:
        raise NothingToExamine(f"No commit in {period(assessed.history.since, assessed.history.until)} changed the "
                               "policies; there is no change whose approval could be assessed.")
    rows, findings = [], []
    for effects in assessed.changes:
        change, approval = effects.change, effects.approval
        rows.append((change.commit.sha[:12], change.commit.committed_at, change.commit.author,
                     change.object or change.path, change.change, "yes" if approval.approved else "no",
                     "; ".join(approval.evidence) or approval.reason))
        if not approval.approved:
            findings.append(Finding(change.object.split(" ", 1)[-1] if change.object else change.path,
                                    f"commit {change.commit.sha[:12]} by {change.commit.author} on "
                                    f"{change.commit.committed_at[:10]} {change.change} {change.object or change.path}"
                                    f" without approval: {approval.reason}", "high"))
    table = EvidenceTable("changes", "Changes to the policies in the period",
                          ("commit", "committed_at", "author", "object", "change", "approved", "approval"),
                          tuple(rows))
    total = counted(len(rows), "change")
    return result("change.approved", findings,
                  every(len(rows), "The one change to the policies in the period was approved.",
                        "All {count} changes to the policies in the period were approved.",
                        "No change to the policies in the period."),
                  (f"{{count}} of {total} to the policies in the period was not approved.",
                   f"{{count}} of {total} to the policies in the period were not approved."), (table,))


@check("change.no_drift", "The cluster runs the policies approved in git", evidence=("drift",), reachability=False)
def no_drift(system: AssessedSystem) -> CheckResult:
    """Every policy in the cluster matches git, and every policy in git is applied; cosmetic differences warn."""
    drift = system.drift
    if drift is None:
        raise NothingToExamine("No git repository of the policies was given (--git); drift cannot be assessed.")
    if not drift.items and not drift.in_sync:
        raise NothingToExamine("Neither the cluster nor git holds a policy; there is nothing to compare.")
    rows = tuple((item.object, item.status, "yes" if item.semantic else "no", item.explanation)
                 for item in drift.items)
    findings = [Finding(item.policy, f"{item.object} is {item.status.words}: "
                        f"{item.explanation}", "high" if item.semantic else "low") for item in drift.items]
    table = (EvidenceTable("drift", "Differences between the cluster and git",
                           ("object", "state", "changes_reachability", "detail"), rows),)
    semantic = sum(1 for item in drift.items if item.semantic)
    failed = ((f"{semantic} of {{count}} difference between the cluster and git changes reachability.",
               f"{semantic} of {{count}} differences between the cluster and git "
               + agreeing(semantic, "changes", "change") + " reachability.") if semantic else
              ("{count} difference between the cluster and git is cosmetic (no change in reachability).",
               "{count} differences between the cluster and git are cosmetic (no change in reachability)."))
    return result("change.no_drift", findings, "The cluster runs exactly the policies in git.", failed, table,
                  failing_status=Status.FAIL if semantic else Status.WARNING)


@check("review.periodic", "Segmentation evidence is produced at least every six months",
       params=("max_days",), evidence=("review_history",), reachability=False)
def periodic_review(system: AssessedSystem, max_days: int = REVIEW_INTERVAL_DAYS) -> CheckResult:
    """The ledger of earlier evidence packs shows no gap longer than `max_days`, up to this evaluation."""
    if not system.previous:
        raise NothingToExamine("This is the first evidence pack in its ledger; the review interval is assessed from "
                               "the next pack on.")
    times = sorted(datetime.date.fromisoformat(moment[:10]) for moment in system.previous)
    times.append(system.today)
    rows, findings = [], []
    for earlier, later in itertools.pairwise(times):
        gap = (later - earlier).days
        rows.append((earlier.isoformat(), later.isoformat(), str(gap)))
        if gap > max_days:
            findings.append(Finding(f"{earlier}..{later}", f"{gap} days passed between evidence on {earlier} and "
                                    f"{later} (at most {max_days} allowed)", "medium"))
    table = EvidenceTable("review_history", "Intervals between evidence packs", ("from", "to", "days"), tuple(rows))
    return result("review.periodic", findings, f"Evidence was produced at most {max_days} days apart "
                  f"({counted(len(system.previous), 'earlier pack')}).",
                  (f"{{count}} interval exceeds {max_days} days.", f"{{count}} intervals exceed {max_days} days."),
                  (table,))
