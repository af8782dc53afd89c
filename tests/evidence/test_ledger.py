"""The ledger of packs: an index of the signed chain that survives retention and catches replaced manifests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.errors import InvalidValue, LedgerError
from compliance.evidence.chain import verify_chain, verify_in_ledger
from compliance.evidence.keys import Signer
from compliance.evidence.ledger import LEDGER_FILE, appended, publish_pack, read_ledger
from compliance.evidence.manifest import MANIFEST_FILE, manifest_bytes
from compliance.evidence.pack import write_pack
from compliance.evidence.verify import Anchors

from .builders import complete_pack_files

TIMES = ["2026-07-31T02:00:00Z", "2026-08-31T02:00:00Z", "2026-09-30T02:00:00Z", "2026-10-31T02:00:00Z"]


def run_files(index: int) -> dict[str, bytes]:
    return complete_pack_files({"data/findings.csv": f"run,{index}\n".encode()})


def publish(root: Path, count: int, **options) -> list:
    return [publish_pack(root, run_files(index), created_at=TIMES[index], inputs={"run": index}, **options)
            for index in range(count)]


def test_three_packs_form_a_chain_that_verifies(tmp_path: Path, pack_files: dict[str, bytes], signer: Signer) -> None:
    packs = [publish_pack(tmp_path, pack_files, created_at=time, signer=signer, make_zip=True) for time in TIMES[:3]]
    assert [pack.path.name for pack in packs] == ["20260731T020000Z", "20260831T020000Z", "20260930T020000Z"]
    assert packs[0].manifest.previous is None
    assert packs[1].manifest.previous == packs[0].link and packs[2].manifest.previous == packs[1].link
    entries = read_ledger(tmp_path)
    assert [(entry.pack_id, entry.manifest_sha256, entry.path, entry.removed) for entry in entries] == [
        (pack.manifest.pack_id, pack.manifest_sha256, pack.path.name, False) for pack in packs]
    trust = Anchors((signer.certificate,))
    chain = verify_chain(tmp_path, trust)
    assert chain.ok, chain.problems
    assert (chain.packs, chain.removed) == (3, 0)
    assert sorted(Path(report.path).name for report in chain.reports) == sorted(
        name for pack in packs for name in (pack.path.name, pack.zip_path.name))
    assert all(report.trusted and report.chain_checked for report in chain.reports)
    for pack in packs:
        report = verify_in_ledger(pack.path, tmp_path, trust)
        assert report.ok and report.chain_checked, report.problems
        assert verify_in_ledger(pack.zip_path, tmp_path, trust).ok


def test_the_ledger_is_canonical_json(tmp_path: Path) -> None:
    [pack] = publish(tmp_path, 1)
    document = json.loads((tmp_path / LEDGER_FILE).read_bytes())
    assert document == {"format": "segproof.ledger/v1", "packs": [{
        "created_at": TIMES[0], "manifest_sha256": pack.manifest_sha256, "pack_id": pack.manifest.pack_id,
        "path": "20260731T020000Z", "removed": False}]}


def test_retention_keeps_the_newest_packs_and_the_chain_still_verifies(tmp_path: Path, signer: Signer) -> None:
    packs = publish(tmp_path, 3, make_zip=True, signer=signer)
    publish_pack(tmp_path, run_files(3), created_at=TIMES[3], keep=2, make_zip=True, signer=signer)
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith(".")) == [
        "20260930T020000Z", "20260930T020000Z.zip", "20261031T020000Z", "20261031T020000Z.zip", LEDGER_FILE]
    entries = read_ledger(tmp_path)
    assert [entry.removed for entry in entries] == [True, True, False, False]
    assert entries[1].manifest_sha256 == packs[1].manifest_sha256
    # A removed pack's signed manifest stays in the ledger, so its links can still be checked.
    assert entries[1].manifest.encode() == manifest_bytes(packs[1].manifest)
    assert entries[1].signature is not None and '"payloadType"' in entries[1].signature
    trust = Anchors((signer.certificate,))
    chain = verify_chain(tmp_path, trust)
    assert chain.ok, chain.problems
    assert (chain.packs, chain.removed) == (4, 2)
    assert [(item.pack_id, item.signature.trusted) for item in chain.retained] == [
        (pack.manifest.pack_id, True) for pack in packs[:2]]
    assert verify_in_ledger(tmp_path / "20260930T020000Z", tmp_path, trust).ok
    publish_pack(tmp_path, run_files(4), created_at="2026-11-30T02:00:00Z", keep=1, signer=signer)
    assert [entry.removed for entry in read_ledger(tmp_path)] == [True, True, True, True, False]
    assert read_ledger(tmp_path)[:2] == entries[:2]
    assert read_ledger(tmp_path)[2].removed and read_ledger(tmp_path)[2].manifest is not None
    assert verify_chain(tmp_path, trust).ok
    with pytest.raises(InvalidValue, match="at least the newest pack"):
        publish_pack(tmp_path, run_files(5), created_at="2026-12-31T02:00:00Z", keep=0)


def test_a_manifest_replaced_on_disk_is_detected(tmp_path: Path) -> None:
    packs = publish(tmp_path, 3)
    middle = packs[1].path / MANIFEST_FILE
    forged = manifest_bytes(packs[1].manifest).replace(b'"run": 1', b'"run": 9')
    middle.write_bytes(forged)
    chain = verify_chain(tmp_path)
    assert chain.problems == ("20260831T020000Z/manifest.json: sha256 differs from the ledger",)
    assert verify_in_ledger(packs[1].path, tmp_path).problems == (
        f"manifest.json: pack_id {packs[1].manifest.pack_id} does not match the manifest's content",
        f"ledger: manifest.json of {packs[1].manifest.pack_id} differs from the hash in the ledger",
    )
    assert verify_in_ledger(packs[2].path, tmp_path).problems == (
        f"chain: manifest.json of previous pack {packs[1].manifest.pack_id} (20260831T020000Z) does not match the "
        "hash this manifest records",
    )


def test_a_pack_missing_from_disk_or_from_the_ledger_is_named(tmp_path: Path) -> None:
    packs = publish(tmp_path, 2)
    shutil.rmtree(packs[0].path)
    stray = write_pack(tmp_path / "stray", run_files(9), created_at=TIMES[3], make_zip=True)
    assert verify_chain(tmp_path).problems == (
        "20260731T020000Z: recorded in the ledger but missing",
        "stray: a pack that is not recorded in the ledger",
        "stray.zip: a zipped pack that is not recorded in the ledger",
    )
    assert verify_in_ledger(stray.path, tmp_path).problems == (
        f"ledger: pack {stray.manifest.pack_id} is not recorded in {tmp_path / LEDGER_FILE}",)


def test_a_pack_written_but_not_recorded_before_a_crash_is_adopted_by_the_next_run(tmp_path: Path) -> None:
    [first] = publish(tmp_path, 1)
    orphan = write_pack(tmp_path / "20260831T020000Z", run_files(1), created_at=TIMES[1], previous=first.link)
    assert not verify_chain(tmp_path).ok
    third = publish_pack(tmp_path, run_files(2), created_at=TIMES[2])
    assert third.manifest.previous == orphan.link
    assert [entry.pack_id for entry in read_ledger(tmp_path)] == [
        first.manifest.pack_id, orphan.manifest.pack_id, third.manifest.pack_id]
    assert verify_chain(tmp_path).ok


# Dies in the middle of write_pack, as a killed process would: the pack's directory renamed into place, its zip not.
CRASH_BEFORE_THE_ZIP_RENAME = """
import os, sys
from compliance.evidence.ledger import publish_pack
from tests.evidence.test_ledger import TIMES, run_files

rename = os.rename
def dying_rename(source, target):
    if str(target).endswith(".zip"):
        os._exit(9)
    rename(source, target)
os.rename = dying_rename
publish_pack(sys.argv[1], run_files(1), created_at=TIMES[1], make_zip=True)
"""


def test_a_pack_adopted_after_a_crash_before_its_zip_was_renamed_gets_its_zip(tmp_path: Path) -> None:
    [first] = publish(tmp_path, 1, make_zip=True)
    crashed = subprocess.run([sys.executable, "-c", CRASH_BEFORE_THE_ZIP_RENAME, str(tmp_path)],
                             cwd=Path(__file__).parents[2], capture_output=True, check=False)
    assert crashed.returncode == 9, crashed.stderr
    orphan = tmp_path / "20260831T020000Z"
    assert (orphan / MANIFEST_FILE).is_file() and not (tmp_path / "20260831T020000Z.zip").exists()
    assert [path.name for path in tmp_path.glob(".segproof-tmp-*")]  # the staged zip the crash left
    third = publish_pack(tmp_path, run_files(2), created_at=TIMES[2], make_zip=True)
    assert [entry.path for entry in read_ledger(tmp_path)] == [first.path.name, orphan.name, third.path.name]
    assert not list(tmp_path.glob(".segproof-tmp-*"))
    assert (tmp_path / "20260831T020000Z.zip").is_file()
    chain = verify_chain(tmp_path)
    assert chain.ok, chain.problems
    assert sorted(Path(report.path).name for report in chain.reports) == [
        "20260731T020000Z", "20260731T020000Z.zip", "20260831T020000Z", "20260831T020000Z.zip",
        "20260930T020000Z", "20260930T020000Z.zip"]


@pytest.mark.parametrize("moment", [TIMES[1], "2026-08-31T04:00:00+02:00", TIMES[0]])
def test_a_pack_not_after_the_newest_is_refused_naming_it(tmp_path: Path, moment: str) -> None:
    packs = publish(tmp_path, 2)
    before = sorted(path.name for path in tmp_path.iterdir())
    with pytest.raises(InvalidValue, match=f"would not come after the newest pack {packs[1].manifest.pack_id} "
                       r"\(created at 2026-08-31T02:00:00Z\)") as refused:
        publish_pack(tmp_path, run_files(2), created_at=moment)
    assert refused.value.exit_code == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    assert verify_chain(tmp_path).ok


def test_recording_a_pack_that_does_not_follow_the_latest_is_refused(tmp_path: Path) -> None:
    publish(tmp_path, 1)
    entries = read_ledger(tmp_path)
    unlinked = write_pack(tmp_path / "unlinked", run_files(1), created_at=TIMES[1])
    with pytest.raises(LedgerError, match="follows no pack, but the latest recorded pack is pack "):
        appended(tmp_path, entries, unlinked)
    outside = write_pack(tmp_path.parent / f"{tmp_path.name}-outside", run_files(1), created_at=TIMES[1],
                         previous=entries[-1].link)
    with pytest.raises(LedgerError, match="is not under the ledger's root"):
        appended(tmp_path, entries, outside)
    following = write_pack(tmp_path / "next", run_files(2), created_at=TIMES[1], previous=entries[-1].link)
    assert appended(tmp_path, entries, following)[-1].path == "next"


@pytest.mark.parametrize(("content", "message"), [
    (b"{", "unreadable"),
    (b'{"format": "other"}', "not a segproof.ledger/v1 ledger"),
    (json.dumps({"format": "segproof.ledger/v1", "packs": [{"pack_id": "x", "created_at": "t", "path": "../../etc",
                 "manifest_sha256": "0" * 64, "removed": False}]}).encode(), r"packs\[0\]\.path: .*relative path"),
])
def test_a_broken_ledger_is_an_error_naming_it(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / LEDGER_FILE).write_bytes(content)
    with pytest.raises(LedgerError, match=message):
        read_ledger(tmp_path)
    [problem] = verify_chain(tmp_path).problems
    assert problem.startswith(str(tmp_path / LEDGER_FILE))

