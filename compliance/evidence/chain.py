"""Verifying packs in their ledger: one pack's place in the chain, or the whole chain under an output root.

The chain is made of signed links: each manifest names the id and manifest hash of the pack before it. The ledger
(unsigned) only indexes them, so it is checked against them: every entry's manifest (on disk, or kept in the ledger
for a pack retention removed) must hash as recorded, link to the entry before it and be newer than it; retention
only ever removes the oldest packs, so a removed pack after a kept one means the ledger was edited; every pack
directory and zip under the root is verified, and any the ledger does not list fails the chain.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from pathlib import Path

from compliance.errors import InvalidPackManifest, LedgerError
from compliance.evidence.ledger import (
    LEDGER_FILE,
    LedgerEntry,
    describe,
    read_ledger,
    stored_files,
    unrecorded_packs,
)
from compliance.evidence.manifest import (
    MANIFEST_FILE,
    Manifest,
    PackLink,
    expected_pack_id,
    parse_manifest,
    sha256_hex,
)
from compliance.evidence.verify import NO_ANCHORS, Anchors, PackReport, SignatureReport, manifest_signature, verify_pack


@dataclass(frozen=True)
class RetainedReport:
    """A pack retention removed, as the ledger keeps it: its id and the signature of its kept manifest."""

    path: str
    pack_id: str
    signature: SignatureReport | None


@dataclass(frozen=True)
class ChainReport:
    """What verifying the chain under a root found: each stored pack's report, the removed packs' kept manifests,
    and the problems of the chain itself."""

    root: str
    packs: int
    removed: int
    reports: tuple[PackReport, ...]
    retained: tuple[RetainedReport, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the chain and every pack in it verify."""
        return not self.problems and all(report.ok for report in self.reports)


def ledger_beside(pack: str | Path) -> Path | None:
    """The output root holding `pack` when a ledger is beside it, else None."""
    parent = Path(pack).resolve().parent
    return parent if (parent / LEDGER_FILE).is_file() else None


def verify_in_ledger(pack: str | Path, root: str | Path, anchors: Anchors = NO_ANCHORS,
                     at: datetime.datetime | None = None) -> PackReport:
    """Verify one pack, then its place in the ledger at `root`: its entry and its link to the pack before it."""
    report = verify_pack(pack, anchors, at)
    if report.manifest is None:
        return replace(report, ledger=str(Path(root) / LEDGER_FILE))
    problems = link_problems(Path(root), report.manifest, report.manifest_sha256)
    return replace(report, ledger=str(Path(root) / LEDGER_FILE), problems=(*report.problems, *problems))


def link_problems(root: Path, manifest: Manifest, manifest_sha256: str) -> list[str]:
    """What is wrong with a pack's place in the chain at `root`: its ledger entry and its link to the previous pack."""
    try:
        entries = read_ledger(root)
    except LedgerError as error:
        return [error.message]
    if not (root / LEDGER_FILE).is_file():
        return [f"{root / LEDGER_FILE}: missing, so the chain cannot be checked"]
    position = next((index for index, entry in enumerate(entries) if entry.pack_id == manifest.pack_id), None)
    if position is None:
        return [f"ledger: pack {manifest.pack_id} is not recorded in {root / LEDGER_FILE}"]
    problems = []
    if entries[position].manifest_sha256 != manifest_sha256:
        problems.append(f"ledger: manifest.json of {manifest.pack_id} differs from the hash in the ledger")
    expected = entries[position - 1].link if position else None
    if manifest.previous != expected:
        problems.append(f"chain: the manifest follows {describe(manifest.previous)}, but the ledger has "
                        f"{describe(expected)} before it")
    elif position:
        previous = entries[position - 1]
        raw = entry_manifest(root, previous)
        if raw is None:
            problems.append(f"chain: previous pack {previous.pack_id} is missing at {previous.path}")
        elif sha256_hex(raw) != previous.manifest_sha256:
            problems.append(f"chain: manifest.json of previous pack {previous.pack_id} ({previous.path}) does not "
                            "match the hash this manifest records")
    return problems


def entry_manifest(root: Path, entry: LedgerEntry) -> bytes | None:
    """The manifest.json bytes of a recorded pack: as stored, else as the ledger kept it; None when neither is."""
    stored = stored_files(root, entry.path, (MANIFEST_FILE,)).get(MANIFEST_FILE)
    if stored is not None:
        return stored
    return entry.manifest.encode("utf-8") if entry.manifest is not None else None


def verify_chain(root: str | Path, anchors: Anchors = NO_ANCHORS, at: datetime.datetime | None = None) -> ChainReport:
    """Verify the ledger at `root`, every pack directory and zip under it, and the signed links between them."""
    folder = Path(root)
    try:
        entries = read_ledger(folder)
    except LedgerError as error:
        return ChainReport(str(folder), 0, 0, (), (), (error.message,))
    problems = [] if (folder / LEDGER_FILE).is_file() else [f"{folder / LEDGER_FILE}: missing"]
    moment = at or datetime.datetime.now(datetime.timezone.utc)
    reports: list[PackReport] = []
    retained: list[RetainedReport] = []
    previous: tuple[PackLink, str] | None = None
    kept_before = None
    for entry in entries:
        if entry.removed and kept_before is not None:
            problems.append(f"ledger: {entry.path} is marked removed, but the older pack {kept_before} is kept: "
                            "retention removes only the oldest packs, so the ledger was edited")
        if not entry.removed and kept_before is None:
            kept_before = entry.path
        copies = [path for path in (folder / entry.path, folder / f"{entry.path}.zip") if path.exists()]
        stored = [replace(verify_pack(path, anchors, moment), ledger=str(folder / LEDGER_FILE)) for path in copies]
        reports.extend(stored)
        problems.extend(f"{Path(report.path).name}/{MANIFEST_FILE}: sha256 differs from the ledger" for report in stored
                        if report.manifest_sha256 and report.manifest_sha256 != entry.manifest_sha256)
        if entry.removed:
            manifest, found = retained_manifest(entry, anchors, moment, retained)
        elif not stored:
            manifest, found = None, [f"{entry.path}: recorded in the ledger but missing"]
        else:
            manifest, found = stored[0].manifest, []
        problems.extend(found)
        if manifest is not None:
            problems.extend(link_order_problems(entry, manifest, previous))
        previous = (entry.link, entry.created_at)
    problems.extend(duplicate_problems(entries))
    recorded = {entry.path for entry in entries}
    problems.extend(f"{directory.name}: a pack that is not recorded in the ledger"
                    for directory in unrecorded_packs(folder, recorded))
    problems.extend(f"{archive.name}: a zipped pack that is not recorded in the ledger"
                    for archive in sorted(folder.glob("*.zip")) if archive.name[:-4] not in recorded)
    return ChainReport(str(folder), len(entries), sum(entry.removed for entry in entries), tuple(reports),
                       tuple(retained), tuple(problems))


def retained_manifest(entry: LedgerEntry, anchors: Anchors, moment: datetime.datetime,
                      retained: list[RetainedReport]) -> tuple[Manifest | None, list[str]]:
    """The manifest the ledger kept for a removed pack, checked against its hash, content and signature."""
    where = f"{entry.path} (removed by retention)"
    if entry.manifest is None:
        return None, [f"{where}: the ledger keeps no manifest of it, so its place in the chain cannot be checked"]
    raw = entry.manifest.encode("utf-8")
    if sha256_hex(raw) != entry.manifest_sha256:
        return None, [f"{where}: the kept manifest does not match the hash in the ledger"]
    try:
        manifest = parse_manifest(raw, f"{where}: manifest")
    except InvalidPackManifest as error:
        return None, [error.message]
    problems = []
    if expected_pack_id(manifest) != manifest.pack_id:
        problems.append(f"{where}: pack_id {manifest.pack_id} does not match the kept manifest's content")
    signature = None
    if entry.signature is not None:
        signature, found = manifest_signature(entry.signature.encode("utf-8"), raw, anchors, moment,
                                              f"{where}: manifest.sig")
        problems.extend(found)
    elif anchors.signers:
        problems.append(f"{where}: the ledger keeps no signature of it, but a trusted certificate was given")
    retained.append(RetainedReport(entry.path, manifest.pack_id, signature))
    return manifest, problems


def link_order_problems(entry: LedgerEntry, manifest: Manifest, previous: tuple[PackLink, str] | None) -> list[str]:
    """What is wrong with an entry's manifest: another id or time than the ledger's, or not following the entry
    before it (by its signed link and by time)."""
    problems = []
    if manifest.pack_id != entry.pack_id:
        problems.append(f"{entry.path}: pack_id {manifest.pack_id} differs from the ledger's {entry.pack_id}")
    if manifest.created_at != entry.created_at:
        problems.append(f"{entry.path}: created at {manifest.created_at}, but the ledger says {entry.created_at}")
    expected = previous[0] if previous else None
    if manifest.previous != expected:
        problems.append(f"{entry.path}: follows {describe(manifest.previous)}, but the ledger has "
                        f"{describe(expected)} before it")
    if previous and manifest.created_at <= previous[1]:
        problems.append(f"{entry.path}: created at {manifest.created_at}, not after the pack before it "
                        f"({previous[1]}): packs are chained in the order they were made")
    return problems


def duplicate_problems(entries: tuple[LedgerEntry, ...]) -> list[str]:
    """A problem for each pack id the ledger records more than once."""
    seen: set[str] = set()
    problems = []
    for entry in entries:
        if entry.pack_id in seen:
            problems.append(f"ledger: pack {entry.pack_id} is recorded twice")
        seen.add(entry.pack_id)
    return problems
