"""Comparing two evidence packs (`segproof diff`): each read as stored, a directory or a zip, from its manifest,
CSVs and snapshot; they are not verified here (`segproof verify` does that). A ledger's root stands for its newest
pack, and a ledger's two newest packs can be compared."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from compliance.analysis.pack_comparison import PackContents, PackDiff, PackSide, Row, diff_packs
from compliance.errors import UnreadablePack, UsageError
from compliance.evidence.ledger import LEDGER_FILE, read_ledger
from compliance.evidence.manifest import CONTROLS_CSV, MANIFEST_FILE, SNAPSHOT_FILE, parse_manifest
from compliance.evidence.pack import zip_path
from compliance.evidence.pack_files import PackFiles, csv_rows, open_pack
from compliance.model.calico_policy import GLOBAL_NETWORK_POLICY
from compliance.model.policy import NETWORK_POLICY
from compliance.model.policy_identity import CALICO_NAMESPACED, identity
from compliance.model.snapshot import CILIUM_LISTS, CLUSTER_POLICY_LISTS
from compliance.report.formats import restored
from compliance.wording import counted

CALICO_POLICY_LISTS = {CALICO_NAMESPACED: "caliconetworkpolicies", GLOBAL_NETWORK_POLICY: "globalnetworkpolicies"}
ZONE_MATRIX_CSV = "data/zone_matrix.csv"
EXCEPTIONS_CSV = "data/exceptions.csv"


def table(files: PackFiles, name: str) -> tuple[Row, ...]:
    """The rows of one CSV of the pack, cells restored."""
    if name not in files.names:
        raise UnreadablePack(str(files.location), f"{name} is missing")
    rows = csv_rows(files.read(name).decode("utf-8"))
    return tuple({key: restored(value or "") for key, value in row.items()} for row in rows)


def snapshot_policies(files: PackFiles) -> dict[str, Any]:
    """The policy specs of the pack's snapshot by identity: NetworkPolicies by `ns/name`, cluster policies by
    `Kind/name`, Calico's by `CalicoNetworkPolicy/ns/name` and `GlobalNetworkPolicy/name`, Cilium's by
    `CiliumNetworkPolicy/ns/name` and `CiliumClusterwideNetworkPolicy/name`, their `spec` and `specs` together
    (older snapshots have fewer kinds)."""
    if SNAPSHOT_FILE not in files.names:
        raise UnreadablePack(str(files.location), f"{SNAPSHOT_FILE} is missing")
    try:
        objects = json.loads(files.read(SNAPSHOT_FILE))["objects"]
        named = [(identity(NETWORK_POLICY, item["metadata"]["namespace"], item["metadata"]["name"]), item)
                 for item in objects["networkpolicies"]]
        named += [(identity(kind, "", item["metadata"]["name"]), item) for kind, plural in CLUSTER_POLICY_LISTS.items()
                  for item in objects.get(plural, [])]
        named += [(identity(kind, item["metadata"].get("namespace", ""), item["metadata"]["name"]), item)
                  for kind, plural in CALICO_POLICY_LISTS.items() for item in objects.get(plural, [])]
        specs = {key: item.get("spec") or {} for key, item in named}
        specs.update({identity(kind, item["metadata"].get("namespace", ""), item["metadata"]["name"]):
                      {part: item[part] for part in ("spec", "specs") if part in item}
                      for plural, (kind, _) in CILIUM_LISTS.items() for item in objects.get(plural, [])})
        return specs
    except (ValueError, KeyError, TypeError) as error:
        raise UnreadablePack(str(files.location), f"{SNAPSHOT_FILE} is not a segproof snapshot ({error})") from None


def read_pack(path: str | Path) -> PackContents:
    """The manifest, controls, zone matrix, exceptions and policies of the pack stored at `path`."""
    try:
        with open_pack(path) as files:
            if MANIFEST_FILE not in files.names:
                raise UnreadablePack(str(path), f"{MANIFEST_FILE} is missing")
            manifest = parse_manifest(files.read(MANIFEST_FILE), f"{path}/{MANIFEST_FILE}")
            inputs = manifest.inputs
            side = PackSide(str(path), manifest.pack_id, manifest.created_at, tuple(inputs.get("frameworks", ())),
                            (inputs.get("git") or {}).get("commit"), str(inputs.get("scope_sha256", "")),
                            dict(inputs.get("assumptions") or {}))
            return PackContents(side, table(files, CONTROLS_CSV), table(files, ZONE_MATRIX_CSV),
                                table(files, EXCEPTIONS_CSV), snapshot_policies(files))
    except (OSError, zipfile.BadZipFile):
        raise UnreadablePack(str(path), "not a pack directory or zip file") from None


def newest_packs(root: str | Path, count: int) -> tuple[Path, ...]:
    """Where the newest `count` packs of the ledger at `root` are stored (each directory, or else its zip), oldest
    first; a UsageError when the ledger holds fewer."""
    folder = Path(root)
    if not (folder / LEDGER_FILE).is_file():
        raise UsageError(f"{folder}: not a ledger (no {LEDGER_FILE})", hint="give the output root of segproof pack "
                         "or segproof run")
    entries = read_ledger(folder)
    present = [entry for entry in entries if not entry.removed]
    if len(present) < count:
        held = counted(len(present), "pack") + "".join(f" ({entry.pack_id})" for entry in present)
        removed = len(entries) - len(present)
        raise UsageError(f"{folder}: the ledger holds {held}{f' and {removed} removed by retention' if removed else ''}"
                         f"; comparing needs {count}", hint="write another pack first, or give two packs: segproof "
                         "diff PACK_A PACK_B")
    directories = [folder / entry.path for entry in present[len(present) - count:]]
    return tuple(path if path.is_dir() or not zip_path(path).is_file() else zip_path(path) for path in directories)


def stored_pack(path: str | Path) -> Path:
    """The pack at `path`: a pack directory or zip as given, or the newest pack of the ledger whose root it is."""
    return newest_packs(path, 1)[0] if (Path(path) / LEDGER_FILE).is_file() else Path(path)


def compare_packs(before: str | Path, after: str | Path) -> PackDiff:
    """What changed from the earlier pack to the later one (a ledger's root: its newest pack)."""
    return diff_packs(read_pack(stored_pack(before)), read_pack(stored_pack(after)))


def compare_ledger(root: str | Path) -> PackDiff:
    """What changed from the second newest pack of the ledger at `root` to its newest."""
    before, after = newest_packs(root, 2)
    return diff_packs(read_pack(before), read_pack(after))
