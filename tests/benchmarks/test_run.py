"""The goals the benchmark table shows next to its figures."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import STAGES, Cluster, Goal, stage_row


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


def test_a_goal_against_the_parse_floor_bounds_the_ratio_of_cpu_times() -> None:
    goal = Goal(floor=1.3)
    assert goal.text() == "≤ 1.3x parse floor"
    assert goal.met(0.5, 100, None, 1.3) == "yes"
    assert goal.met(0.5, 100, None, 1.31) == "no"
    assert goal.met(0.5, 100, None) == "?"


def test_the_stage_row_shows_the_floor_the_ratio_and_the_load_goal(tmp_path: Path) -> None:
    cluster = Cluster("dense", 10_000, 202, 597, 0, tmp_path / "cluster.yaml")
    records = {"parse floor": {"stage": "parse floor", "seconds": 0.05, "cpu": 0.04, "peak_mb": 40},
               **{stage: {"stage": stage, "seconds": 0.1, "cpu": 0.06, "peak_mb": 60} for stage in STAGES}}
    cells = [cell.strip() for cell in stage_row(cluster, records).strip("|").split("|")]
    assert cells[5:7] == ["0.05", "1.50x"]
    assert cells[-2:] == ["load ≤ 1.3x parse floor", "no"]
    del records["parse floor"]
    cells = [cell.strip() for cell in stage_row(cluster, records).strip("|").split("|")]
    assert cells[5:7] == ["n/a", "n/a"]
    assert cells[-1] == "?"
