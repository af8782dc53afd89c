"""Comparing two evidence packs as stored: control statuses, the zone matrix, the policies (by spec) and the
exceptions, from the rows of their CSVs and the policies of their snapshots. Every list is in a stable order, so
the same packs give the same comparison."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.analysis.policy_changes import SpecChange, spec_changes

Row = dict[str, str]


@dataclass(frozen=True)
class PackSide:
    """One of the compared packs: where it is, its id and time, frameworks, git commit, scope hash, assumptions."""

    location: str
    pack_id: str
    created_at: str
    frameworks: tuple[str, ...]
    git_commit: str | None
    scope_sha256: str
    assumptions: Mapping[str, Any]


@dataclass(frozen=True)
class PackContents:
    """What the comparison reads from one pack."""

    side: PackSide
    controls: tuple[Row, ...]
    zone_matrix: tuple[Row, ...]
    exceptions: tuple[Row, ...]
    policies: dict[str, Any]


@dataclass(frozen=True)
class ControlDifference:
    """A control whose status or number of open findings differs; a status is None when the pack lacks it."""

    control: str
    title: str
    before: str | None
    after: str | None
    findings_before: int
    findings_after: int


@dataclass(frozen=True)
class ZoneDifference:
    """A pair of zones whose path changed: opened, closed, ports changed or approval changed."""

    source_zone: str
    destination_zone: str
    change: str
    ports_before: str
    ports_after: str
    unapproved_before: str
    unapproved_after: str


@dataclass(frozen=True)
class ExceptionDifference:
    """An exception of the scope added, removed, expired or changed (approver, justification or expiry)."""

    control: str
    target: str
    change: str
    state_before: str
    state_after: str
    expires_before: str
    expires_after: str


@dataclass(frozen=True)
class PackDiff:
    """The differences between an earlier (`before`) and a later (`after`) pack."""

    before: PackSide
    after: PackSide
    controls: tuple[ControlDifference, ...]
    zones: tuple[ZoneDifference, ...]
    policies: tuple[SpecChange, ...]
    exceptions: tuple[ExceptionDifference, ...]


def row_pairs(before: Sequence[Row], after: Sequence[Row],
              columns: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Row | None, Row | None]]:
    """(key, earlier row, later row) of the rows keyed by `columns`: the later pack's order, then earlier-only keys."""
    old = {tuple(row[column] for column in columns): row for row in before}
    new = {tuple(row[column] for column in columns): row for row in after}
    for key in [*new, *(key for key in old if key not in new)]:
        yield key, old.get(key), new.get(key)


def control_differences(before: Sequence[Row], after: Sequence[Row]) -> tuple[ControlDifference, ...]:
    """Controls whose status or open findings differ, in the later pack's order, then those only in the earlier."""
    found = []
    for key, was, now in row_pairs(before, after, ("framework", "control")):
        statuses = (was["status"] if was else None, now["status"] if now else None)
        counts = (int(was["open_findings"]) if was else 0, int(now["open_findings"]) if now else 0)
        if statuses[0] != statuses[1] or counts[0] != counts[1]:
            found.append(ControlDifference("/".join(key), (now or was or {})["title"], *statuses, *counts))
    return tuple(found)


def zone_change(was: Row | None, now: Row | None) -> str | None:
    """How a zone pair's path changed, or None when it did not."""
    had, has = bool(was and was["path"] == "yes"), bool(now and now["path"] == "yes")
    if had != has:
        return "opened" if has else "closed"
    if not has or was is None or now is None:
        return None
    if was["ports"] != now["ports"]:
        return "ports changed"
    return "approval changed" if was["unapproved_ports"] != now["unapproved_ports"] else None


def zone_differences(before: Sequence[Row], after: Sequence[Row]) -> tuple[ZoneDifference, ...]:
    """Zone pairs whose path opened, closed or changed ports or approval, in the later pack's zone order."""
    found = []
    for (source_zone, destination_zone), was, now in row_pairs(before, after, ("source_zone", "destination_zone")):
        change = zone_change(was, now)
        if change:
            found.append(ZoneDifference(source_zone, destination_zone, change, (was or {}).get("ports", ""),
                                        (now or {}).get("ports", ""), (was or {}).get("unapproved_ports", ""),
                                        (now or {}).get("unapproved_ports", "")))
    return tuple(found)


def exception_differences(before: Sequence[Row], after: Sequence[Row]) -> tuple[ExceptionDifference, ...]:
    """Exceptions added, removed, expired since the earlier pack, or changed, by control and target."""
    found = []
    for (control, target), was, now in sorted(row_pairs(before, after, ("control", "target")),
                                              key=lambda pair: pair[0]):
        if was is None or now is None:
            change = "added" if was is None else "removed"
        elif now["state"] == "expired" and was["state"] != "expired":
            change = "expired"
        elif any(was[field] != now[field] for field in ("justification", "approver", "expires")):
            change = "changed"
        else:
            continue
        found.append(ExceptionDifference(control, target, change, (was or {}).get("state", ""),
                                         (now or {}).get("state", ""), (was or {}).get("expires", ""),
                                         (now or {}).get("expires", "")))
    return tuple(found)


def diff_packs(before: PackContents, after: PackContents) -> PackDiff:
    """What changed from the earlier pack to the later one."""
    return PackDiff(before.side, after.side, control_differences(before.controls, after.controls),
                    zone_differences(before.zone_matrix, after.zone_matrix),
                    spec_changes(before.policies, after.policies),
                    exception_differences(before.exceptions, after.exceptions))
