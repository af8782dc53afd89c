"""One check id everywhere: the registration, the case folders, the README and the catalogs agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from compliance.checks import CHECKS
from tests.checks.test_cases import CASES, Case, case_folders

ROOT = Path(__file__).resolve().parents[2]
NON_PASSING = ("fail", "warning", "manual", "not_applicable", "error")


def cases_of(check_id: str) -> list[Case]:
    """The case folders of one check."""
    return [case for case in case_folders() if case.check == check_id]


def test_check_ids_are_well_formed() -> None:
    assert CHECKS, "no check is registered"
    for check_id, spec in CHECKS.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", check_id), check_id
        assert spec.id == check_id
        assert spec.title and spec.function.__doc__, check_id


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_check_has_passing_and_non_passing_cases(check_id: str) -> None:
    statuses = {case.status for case in cases_of(check_id)}
    assert statuses, f"no case folder under {CASES / check_id}"
    assert "pass" in statuses, f"{check_id} has no pass_* case"
    assert statuses & set(NON_PASSING), f"{check_id} has no fail_*/warning_*/manual_*/... case"


ZONE_PARAMETERS = {"zones", "from", "to"}


@pytest.mark.parametrize("check_id", sorted(c for c, spec in CHECKS.items() if ZONE_PARAMETERS & set(spec.params)))
def test_every_zone_check_has_a_case_where_its_zones_hold_no_workload(check_id: str) -> None:
    # A zone selector that matches nothing must never give a pass: each such check shows its error.
    names = [case.name for case in cases_of(check_id)]
    assert any(name.startswith("error_") and name.endswith("_holds_no_workload") for name in names), names


def test_every_case_folder_names_a_registered_check() -> None:
    unknown = sorted(path.name for path in CASES.iterdir() if path.is_dir() and path.name not in CHECKS)
    assert unknown == []


def test_every_case_folder_name_starts_with_a_status() -> None:
    assert [case.id for case in case_folders() if case.status is None] == []


def test_every_check_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [check_id for check_id in sorted(CHECKS)
               if not re.search(rf"(?<![\w.-]){re.escape(check_id)}(?![\w-])", readme)]
    assert missing == [], f"README.md does not mention these checks: {', '.join(missing)}"


def catalog_check_references() -> list[tuple[str, str]]:
    """(catalog file, check id) for every check a shipped catalog refers to."""
    found = []
    for path in sorted((ROOT / "controls").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for control in document.get("controls") or []:
            for reference in control.get("checks") or []:
                found.append((path.name, reference.get("check")))
    return found


def test_every_catalog_check_is_registered() -> None:
    unknown = [(file, check_id) for file, check_id in catalog_check_references() if check_id not in CHECKS]
    assert unknown == []


def test_result_agrees_with_the_count_and_keeps_braces_of_names() -> None:
    from compliance.checks.registry import Finding, result

    one = [Finding("a", "m", "high")]
    forms = ("{count} path exists into zone {x}.", "{count} paths exist into zone {x}.")
    assert result("check.id", one, "ok", forms).summary == "1 path exists into zone {x}."
    assert result("check.id", one * 2, "ok", forms).summary == "2 paths exist into zone {x}."
    assert result("check.id", one, "ok", "{count} found in {}.").summary == "1 found in {}."
