"""Number agreement of counted words."""

from __future__ import annotations

import pytest

from compliance.wording import agreeing, counted, every


@pytest.mark.parametrize("count, expected", [(0, "0 workloads"), (1, "1 workload"), (2, "2 workloads")])
def test_counted(count: int, expected: str) -> None:
    assert counted(count, "workload") == expected


def test_counted_irregular_plural() -> None:
    assert (counted(1, "policy", "policies"), counted(3, "policy", "policies")) == ("1 policy", "3 policies")


def test_agreeing_picks_the_form_and_keeps_other_braces() -> None:
    assert agreeing(1, "{count} rule admits", "{count} rules admit") == "1 rule admits"
    assert agreeing(4, "{count} rule admits", "{count} rules admit") == "4 rules admit"
    assert agreeing(2, "", "{count} paths into zone {x}") == "2 paths into zone {x}"


@pytest.mark.parametrize("count, expected", [(0, "No connection into cde."), (1, "The one connection is approved."),
                                             (5, "All 5 connections are approved.")])
def test_every_never_says_all_0(count: int, expected: str) -> None:
    assert every(count, "The one connection is approved.", "All {count} connections are approved.",
                 "No connection into cde.") == expected
