"""Comparing two evidence packs (`segproof diff`): each read as stored, a directory or a zip, from its manifest,
CSVs and snapshot; they are not verified here (`segproof verify` does that)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from compliance.analysis.pack_comparison import PackContents, PackDiff, PackSide, Row, diff_packs
from compliance.errors import UnreadablePack
from compliance.evidence.manifest import CONTROLS_CSV, MANIFEST_FILE, SNAPSHOT_FILE, parse_manifest
from compliance.evidence.pack_files import PackFiles, csv_rows, open_pack
from compliance.model.policy import NETWORK_POLICY
from compliance.model.policy_identity import identity
from compliance.model.snapshot import CLUSTER_POLICY_LISTS
from compliance.report.formats import restored

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
    `Kind/name` (a v1 snapshot has none)."""
    if SNAPSHOT_FILE not in files.names:
        raise UnreadablePack(str(files.location), f"{SNAPSHOT_FILE} is missing")
    try:
        objects = json.loads(files.read(SNAPSHOT_FILE))["objects"]
        named = [(identity(NETWORK_POLICY, item["metadata"]["namespace"], item["metadata"]["name"]), item)
                 for item in objects["networkpolicies"]]
        named += [(identity(kind, "", item["metadata"]["name"]), item) for kind, plural in CLUSTER_POLICY_LISTS.items()
                  for item in objects.get(plural, [])]
        return {key: item.get("spec") or {} for key, item in named}
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


def compare_packs(before: str | Path, after: str | Path) -> PackDiff:
    """What changed from the earlier pack to the later one."""
    return diff_packs(read_pack(before), read_pack(after))
