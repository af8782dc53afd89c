"""The goals the benchmark table shows next to its figures."""

from __future__ import annotations

from benchmarks.run import Goal


def test_a_goal_reads_as_the_issue_states_it() -> None:
    assert Goal(seconds=1.6, ratio=100).text() == "≤ 1.6 s, ≥ 100x NCA"
    assert Goal(seconds=15, peak_mb=1200).text() == "≤ 15 s, ≤ 1,200 MB"


def test_a_goal_holds_only_when_every_bound_does() -> None:
    goal = Goal(seconds=8, peak_mb=300)
    assert goal.met(7.9, 300, None) == "yes"
    assert goal.met(8.1, 100, None) == "no"
    assert goal.met(1.0, 301, None) == "no"


def test_a_goal_against_nca_is_open_until_nca_ran() -> None:
    goal = Goal(seconds=1.6, ratio=100)
    assert goal.met(1.0, 50, None) == "?"
    assert goal.met(1.0, 50, 120) == "yes"
    assert goal.met(1.0, 50, 90) == "no"
