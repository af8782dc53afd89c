"""The chain under an output root: what an attacker can do to the ledger, the packs and their zips, caught."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from compliance.evidence.chain import verify_chain
from compliance.evidence.keys import Signer
from compliance.evidence.ledger import LEDGER_FILE, publish_pack, read_ledger
from compliance.evidence.pack import WrittenPack
from compliance.evidence.verify import Anchors

from .builders import complete_pack_files

TIMES = ["2026-03-31T02:00:00Z", "2026-06-30T02:00:00Z", "2026-09-30T02:00:00Z", "2026-12-31T02:00:00Z"]


@pytest.fixture
def chain(tmp_path: Path, signer: Signer) -> list[WrittenPack]:
    """Three signed packs with zips, one a quarter, chained in a ledger at tmp_path."""
    return [publish_pack(tmp_path, complete_pack_files({"data/controls.csv": f"control,status\n1.3.{index},fail\n"
                                                        .encode()}),
                         created_at=TIMES[index], signer=signer, make_zip=True) for index in range(3)]


def edit_ledger(root: Path, change) -> None:
    document = json.loads((root / LEDGER_FILE).read_bytes())
    change(document["packs"])
    (root / LEDGER_FILE).write_text(json.dumps(document))


def test_an_intact_chain_verifies_with_its_trusted_signer(tmp_path: Path, chain: list[WrittenPack],
                                                          signer: Signer) -> None:
    report = verify_chain(tmp_path, Anchors((signer.certificate,)))
    assert report.ok, (report.problems, [r.problems for r in report.reports])
    assert len(report.reports) == 6 and all(r.trusted for r in report.reports)


def test_a_pack_deleted_from_the_middle_and_marked_removed_breaks_the_chain(tmp_path: Path, chain: list[WrittenPack],
                                                                            signer: Signer) -> None:
    # Retention only ever removes the oldest packs: a gap in the middle is never legitimate.
    shutil.rmtree(chain[1].path)
    chain[1].zip_path.unlink()
    edit_ledger(tmp_path, lambda packs: packs[1].update(removed=True))
    report = verify_chain(tmp_path, Anchors((signer.certificate,)))
    assert not report.ok
    assert report.problems == (
        f"ledger: {chain[1].path.name} is marked removed, but the older pack {chain[0].path.name} is kept: retention "
        "removes only the oldest packs, so the ledger was edited",
        f"{chain[1].path.name} (removed by retention): the ledger keeps no manifest of it, so its place in the chain "
        "cannot be checked",
    )


def test_the_oldest_pack_deleted_and_marked_removed_without_its_manifest_fails(tmp_path: Path,
                                                                               chain: list[WrittenPack]) -> None:
    shutil.rmtree(chain[0].path)
    chain[0].zip_path.unlink()
    edit_ledger(tmp_path, lambda packs: packs[0].update(removed=True))
    assert verify_chain(tmp_path).problems == (
        f"{chain[0].path.name} (removed by retention): the ledger keeps no manifest of it, so its place in the chain "
        "cannot be checked",)


def test_a_tampered_pack_marked_removed_but_left_on_disk_is_still_verified(tmp_path: Path, chain: list[WrittenPack],
                                                                           signer: Signer) -> None:
    (chain[1].path / "data" / "controls.csv").write_bytes(b"control,status\n1.3.1,pass\n")
    edit_ledger(tmp_path, lambda packs: packs[1].update(removed=True))
    report = verify_chain(tmp_path, Anchors((signer.certificate,)))
    assert not report.ok
    [middle] = [r for r in report.reports if r.path == str(chain[1].path)]
    assert middle.problems == ("data/controls.csv: sha256 mismatch",)
    assert report.problems[0].startswith(f"ledger: {chain[1].path.name} is marked removed, but the older pack")


def test_a_file_tampered_inside_a_zip_fails_the_chain_though_the_directory_is_intact(
        tmp_path: Path, chain: list[WrittenPack], signer: Signer) -> None:
    archive = chain[2].zip_path
    with zipfile.ZipFile(archive) as original:
        members = {info.filename: original.read(info) for info in original.infolist()}
    folder = chain[2].path.name
    members[f"{folder}/data/controls.csv"] = b"control,status\n1.3.2,pass\n"
    with zipfile.ZipFile(archive, "w") as rewritten:
        for name, data in members.items():
            rewritten.writestr(name, data)
    report = verify_chain(tmp_path, Anchors((signer.certificate,)))
    assert not report.ok and report.problems == ()
    assert [(Path(r.path).name, r.problems) for r in report.reports if r.problems] == [
        (archive.name, ("data/controls.csv: sha256 mismatch",))]


def test_reordered_or_back_dated_entries_break_the_signed_links(tmp_path: Path, chain: list[WrittenPack]) -> None:
    edit_ledger(tmp_path, lambda packs: packs.reverse())
    problems = verify_chain(tmp_path).problems
    assert f"{chain[2].path.name}: follows pack {chain[1].manifest.pack_id}" in problems[0]
    assert any("not after the pack before it" in problem for problem in problems)
    edit_ledger(tmp_path, lambda packs: packs.reverse())
    edit_ledger(tmp_path, lambda packs: packs[2].update(created_at="2026-01-01T00:00:00Z"))
    assert verify_chain(tmp_path).problems == (
        f"{chain[2].path.name}: created at {TIMES[2]}, but the ledger says 2026-01-01T00:00:00Z",)


def test_retention_keeps_each_removed_packs_signed_manifest(tmp_path: Path, chain: list[WrittenPack],
                                                            signer: Signer, other_signer: Signer) -> None:
    publish_pack(tmp_path, complete_pack_files(), created_at=TIMES[3], signer=signer, keep=1)
    assert [entry.removed for entry in read_ledger(tmp_path)] == [True, True, True, False]
    report = verify_chain(tmp_path, Anchors((signer.certificate,)))
    assert report.ok, report.problems
    assert [item.signature.trusted for item in report.retained] == [True, True, True]
    # A kept manifest edited in the ledger, or its signature swapped, is caught like a pack on disk would be.
    entries = read_ledger(tmp_path)
    edit_ledger(tmp_path, lambda packs: packs[1].update(signature=entries[0].signature))
    assert verify_chain(tmp_path).problems == (
        f"{chain[1].path.name} (removed by retention): manifest.sig: the signed payload is not the content of "
        "manifest.json",)
    assert verify_chain(tmp_path, Anchors((other_signer.certificate,))).problems[0].startswith(
        f"{chain[0].path.name} (removed by retention): manifest.sig: the signer certificate CN=ACME Payments")
