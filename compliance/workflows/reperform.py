"""Re-performing a pack: evaluate its own snapshot and scope again and compare with the results it holds.

Controls whose checks need an input the pack does not carry are set aside and named: the git history
(unless a clone is given) and the ledger of earlier packs (unless the pack sits in its ledger).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from compliance.controls import load_framework
from compliance.documents import boolean_at, mapping_at, string_at, strings_at
from compliance.errors import InvalidObject, InvalidPackManifest, InvalidValue, ManifestError
from compliance.evidence.ledger import read_ledger
from compliance.evidence.manifest import (
    CONTROLS_CSV,
    FINDINGS_CSV,
    MANIFEST_FILE,
    SCOPE_FILE,
    SNAPSHOT_FILE,
    parse_manifest,
)
from compliance.evidence.pack_files import PackFiles, csv_rows, open_pack
from compliance.netpol.options import ENFORCEMENT_MODES, AnalysisOptions
from compliance.report.tables import controls_table, csv_text, findings_table
from compliance.scope import parse_scope
from compliance.sources.git.source import GitSource
from compliance.sources.snapshot_file import snapshot_from_text
from compliance.workflows.assess import assess
from compliance.workflows.inputs import run_date

GIT_CHECKS = frozenset({"change.approved", "change.no_drift"})
LEDGER_CHECKS = frozenset({"review.periodic"})
# The tables compared, with the columns that name and group their rows.
COMPARED = {CONTROLS_CSV: ("framework", "control", "checks"),
            FINDINGS_CSV: ("framework", "control", "check", "object", "message")}


@dataclass(frozen=True)
class Reperformance:
    """What re-performing found: the controls compared, those set aside (and why), and every difference."""

    compared: int
    set_aside: tuple[str, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class RecordedInputs:
    """What re-performance takes from a manifest's `inputs`: the frameworks, the analysis options, and the git commit
    and paths when the pack read git history."""

    frameworks: tuple[str, ...]
    options: AnalysisOptions
    git: tuple[str, tuple[str, ...]] | None

    @classmethod
    def read(cls, inputs: Mapping[str, Any]) -> RecordedInputs:
        """The inputs as recorded; a field of the wrong type raises InvalidPackManifest naming it (exit code 4)."""
        try:
            assumptions = mapping_at(inputs.get("assumptions"), "inputs.assumptions")
            values: dict[str, Any] = {
                name: recorded_option(assumptions.get(name), f"inputs.assumptions.{name}", default)
                for name, default in asdict(AnalysisOptions()).items()}
            options = AnalysisOptions(**values)
            git = None
            if "git" in inputs:
                recorded = mapping_at(inputs["git"], "inputs.git", required=True)
                git = (string_at(recorded.get("commit"), "inputs.git.commit", required=True),
                       strings_at(recorded.get("paths"), "inputs.git.paths"))
            return cls(strings_at(inputs.get("frameworks"), "inputs.frameworks"), options, git)
        except InvalidObject as problem:
            raise InvalidPackManifest(MANIFEST_FILE, problem.message) from None


def recorded_option(value: Any, field: str, default: bool | str | None) -> bool | str | None:
    """An analysis option as recorded: a boolean or a text (the enforcement mode one of Cilium's), `default` when
    absent."""
    if value is None:
        return default
    if isinstance(default, str):
        text = string_at(value, field) or default
        if field.endswith(".policy_enforcement") and text not in ENFORCEMENT_MODES:
            raise InvalidObject(field, f"must be one of {', '.join(ENFORCEMENT_MODES)}, not {text!r}")
        return text
    return boolean_at(value, field, False)


def pack_text(files: PackFiles, name: str) -> str:
    """A text file of the pack; one that is not UTF-8 raises ManifestError naming it."""
    try:
        return files.read(name).decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(name, None, "", "not UTF-8 text") from None


def differences(name: str, held: list[dict[str, str]], again: list[dict[str, str]], key: Callable[[dict], tuple],
                skipped: Callable[[dict], bool]) -> list[str]:
    """Rows that differ between the pack's table and the re-performed one, named by their key."""
    before = {key(row): row for row in held if not skipped(row)}
    after = {key(row): row for row in again if not skipped(row)}
    found = []
    for item in sorted(set(before) | set(after)):
        if item not in after:
            found.append(f"{name}: {' '.join(item)} is in the pack but not re-performed")
        elif item not in before:
            found.append(f"{name}: {' '.join(item)} is re-performed but not in the pack")
        elif before[item] != after[item]:
            columns = [c for c in before[item] if before[item][c] != after[item].get(c)]
            detail = "; ".join(f"{column}: {before[item][column]!r} in the pack, {after[item].get(column)!r} now"
                               for column in columns)
            found.append(f"{name}: {' '.join(item)}: {detail}")
    return found


def reperform(pack: str | Path, git_repository: str | None = None,
              previous: Sequence[str] | None = None) -> Reperformance:
    """Evaluate the pack's snapshot and scope again (with git and earlier packs when available) and compare.

    The evaluation is the one performance ran (`workflows.assess.assess`), at the git commit and paths the pack
    recorded. Recorded inputs of the wrong type raise InvalidPackManifest; pack files that cannot be read again
    (or lack the columns compared) raise an InputError naming the file.
    """
    with open_pack(pack) as files:
        manifest = parse_manifest(files.read(MANIFEST_FILE))
        inputs = RecordedInputs.read(manifest.inputs)
        snapshot = snapshot_from_text(pack_text(files, SNAPSHOT_FILE), SNAPSHOT_FILE)
        scope = parse_scope(pack_text(files, SCOPE_FILE), SCOPE_FILE, run_date(manifest.created_at))
        held = {name: csv_rows(pack_text(files, name)) for name in COMPARED}
    for name, columns in COMPARED.items():
        lacking = [column for column in columns if held[name] and column not in held[name][0]]
        if lacking:
            raise ManifestError(name, None, "", f"has no column {', '.join(lacking)}, which re-performance compares")
    try:
        frameworks = [load_framework(name) for name in inputs.frameworks]
    except InvalidValue as error:
        raise InvalidPackManifest(MANIFEST_FILE, f"inputs.frameworks: {error.message}") from None
    git = GitSource(git_repository, *inputs.git) if inputs.git and git_repository else None
    assessment = assess(snapshot, scope, inputs.options, frameworks, manifest.created_at, git,
                        previous=tuple(previous or ())).assessment
    missing: set[str] = set()
    if inputs.git and git is None:
        missing |= GIT_CHECKS
    if previous is None:
        missing |= LEDGER_CHECKS
    again = {"data/controls.csv": csv_rows(csv_text(controls_table(assessment))),
             "data/findings.csv": csv_rows(csv_text(findings_table(assessment)))}
    set_aside = sorted(f"{row['framework']}/{row['control']}" for row in held["data/controls.csv"]
                       if missing & set(row["checks"].split("; ")))
    aside = set(set_aside)
    problems = differences("data/controls.csv", held["data/controls.csv"], again["data/controls.csv"],
                           lambda row: (f"{row['framework']}/{row['control']}",),
                           lambda row: f"{row['framework']}/{row['control']}" in aside)
    problems += differences("data/findings.csv", held["data/findings.csv"], again["data/findings.csv"],
                            lambda row: (f"{row['framework']}/{row['control']}", row["check"], row["object"],
                                         row["message"]),
                            lambda row: row["check"] in missing or f"{row['framework']}/{row['control']}" in aside)
    return Reperformance(len(held["data/controls.csv"]) - len(set_aside), tuple(set_aside), tuple(problems))


def reperform_in_place(pack: str | Path, git_repository: str | None = None) -> Reperformance:
    """Re-perform a pack with the earlier packs of its ledger, when it sits in one."""
    with open_pack(pack) as files:
        pack_id = parse_manifest(files.read(MANIFEST_FILE)).pack_id
    entries = read_ledger(Path(pack).parent)
    position = next((index for index, entry in enumerate(entries) if entry.pack_id == pack_id), None)
    previous = tuple(entry.created_at for entry in entries[:position]) if position is not None else None
    return reperform(pack, git_repository, previous)
