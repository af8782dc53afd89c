"""Reading stored packs: a hostile zip is refused before anything is inflated."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import PackTooLarge
from compliance.evidence.pack_files import MAX_ZIP_ENTRIES, open_pack
from compliance.evidence.verify import verify_pack
from tests.support.cli import run
from tests.support.zip_bombs import write_bomb, write_many_entries


def test_a_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = tmp_path / "pack.zip"
    write_bomb(bomb, "pack/snapshot.json", 3 << 30)
    assert bomb.stat().st_size < 4 << 20
    with pytest.raises(PackTooLarge, match=r"snapshot\.json inflates 3,185,666 bytes to 3,221,225,472, more than "
                                           r"200 times \(a zip bomb\); refused before inflating anything"), \
            open_pack(bomb):
        pass
    [problem] = verify_pack(bomb).problems
    assert problem.startswith("pack/snapshot.json inflates")
    code, out, err = run("verify", str(bomb))
    assert code == 4 and "zip bomb" in out, (out, err)


def test_a_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    crowded = tmp_path / "pack.zip"
    write_many_entries(crowded, 60_000)
    [problem] = verify_pack(crowded).problems
    assert problem == (f"60,000 entries, more than the {MAX_ZIP_ENTRIES:,} a pack may hold; refused before "
                       "inflating anything")
    assert run("verify", str(crowded))[0] == 4


def test_entries_declaring_more_than_a_pack_may_hold_in_total_are_refused(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import compliance.evidence.pack_files as pack_files

    monkeypatch.setattr(pack_files, "MAX_INFLATED_BYTES", 1 << 20)
    archive = tmp_path / "pack.zip"
    write_bomb(archive, "pack/snapshot.json", 2 << 20)
    with pytest.raises(PackTooLarge, match=r"inflate to 2,097,152 bytes, more than the 1,048,576 a pack may hold"), \
            open_pack(archive):
        pass
