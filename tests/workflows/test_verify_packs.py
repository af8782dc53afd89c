"""`segproof verify` as an auditor runs it: what each verdict line says, and when it may say OK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from compliance.evidence.keys import Signer
from compliance.evidence.ledger import publish_pack
from compliance.evidence.manifest import MANIFEST_FILE, SIGNATURE_FILE
from compliance.evidence.pack import write_pack
from compliance.evidence.trust import fingerprint
from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.workflows.inputs import StateSource
from compliance.workflows.publish import publish_assessment
from compliance.workflows.verify_packs import verify_packs
from tests.evidence.builders import CREATED_AT, complete_pack_files, self_signed_signer
from tests.support.cli import run
from tests.support.documents import with_value
from tests.support.renderers import placeholder_report

NOT_VERIFIED = "NOT VERIFIED AGAINST A TRUSTED CERTIFICATE"


def certificate_file(folder: Path, signer: Signer, name: str = "trusted.crt") -> str:
    path = folder / name
    path.write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return self_signed_signer()


@pytest.fixture
def signed_pack(tmp_path: Path, signer: Signer) -> Path:
    return write_pack(tmp_path / "out" / "pack", complete_pack_files(), created_at=CREATED_AT, signer=signer).path


def test_without_trust_the_verdict_says_not_verified_and_shows_the_fingerprint(signed_pack: Path,
                                                                               signer: Signer) -> None:
    code, out, _ = run("verify", str(signed_pack))
    assert code == 0
    assert f"signer: CN=ACME Payments segproof,O=ACME Payments Ltd (SHA-256 {fingerprint(signer.certificate)})" in out
    verdict = out.rstrip().splitlines()[-1]
    assert verdict.startswith(NOT_VERIFIED) and "OK" not in out
    assert verdict.endswith(f"signed by CN=ACME Payments segproof,O=ACME Payments Ltd (SHA-256 "
                            f"{fingerprint(signer.certificate)})")
    code, out, err = run("verify", str(signed_pack), "--require-trust")
    assert code == 4 and "FAILED: --require-trust: no trusted certificate was given" in out, err


def test_a_wrong_trust_certificate_names_the_real_signer_and_fails(signed_pack: Path, tmp_path: Path) -> None:
    other = certificate_file(tmp_path, self_signed_signer("CN=Somebody Else"))
    code, out, _ = run("verify", str(signed_pack), "--trust", other)
    assert code == 4
    assert "signer: CN=ACME Payments segproof,O=ACME Payments Ltd (SHA-256 " in out
    assert "trust: does NOT chain to the trusted certificate" in out and "(trusted)" not in out


def test_the_trusted_verdict_is_ok(signed_pack: Path, signer: Signer, tmp_path: Path) -> None:
    code, out, _ = run("verify", str(signed_pack), "--trust", certificate_file(tmp_path, signer), "--require-trust")
    assert code == 0 and out.rstrip().splitlines()[-1] == "OK"
    assert "trust: chains to the trusted certificate (trusted)" in out
    assert "time: no timestamp: the signature cannot be dated" in out
    assert "chain: not checked: no ledger beside the pack" in out


def test_an_unsigned_pack_is_never_ok(tmp_path: Path) -> None:
    written = write_pack(tmp_path / "pack", complete_pack_files(), created_at=CREATED_AT)
    code, out, _ = run("verify", str(written.path))
    assert code == 0 and "signer: UNSIGNED" in out
    assert out.rstrip().splitlines()[-1].startswith("UNSIGNED:") and "OK" not in out
    assert run("verify", str(written.path), "--require-trust")[0] == 4


def test_two_certificates_with_one_subject_in_a_chain_are_told_apart(tmp_path: Path, signer: Signer) -> None:
    twin = self_signed_signer(signer.certificate.subject.rfc4514_string())
    for moment, key in (("2026-06-30T12:00:00Z", signer), ("2026-09-30T12:00:00Z", twin)):
        publish_pack(tmp_path, complete_pack_files(), created_at=moment, signer=key)
    code, out, _ = run("verify", "--chain", str(tmp_path))
    assert code == 0 and NOT_VERIFIED in out
    prints = sorted((fingerprint(signer.certificate), fingerprint(twin.certificate)))
    assert (f"NOTE: 2 different certificates share the signer name {signer.certificate.subject.rfc4514_string()}: "
            f"{prints[0]}, {prints[1]}; only the fingerprints tell them apart") in out


def test_a_pack_that_fails_is_not_re_performed_and_says_so(signed_pack: Path) -> None:
    (signed_pack / "scope.yaml").write_text("changed\n")
    verification = verify_packs([str(signed_pack)], reperform=True)
    [item] = verification.reperformed
    assert item.result is None and item.skipped == "the pack failed verification, so it is not re-performed"
    code, out, _ = run("verify", str(signed_pack), "--reperform")
    assert code == 4 and "re-performance skipped: the pack failed verification" in out


def test_a_pack_beside_a_ledger_is_checked_in_it(tmp_path: Path, signer: Signer) -> None:
    written = publish_pack(tmp_path, complete_pack_files(), created_at=CREATED_AT, signer=signer)
    code, out, _ = run("verify", str(written.path))
    assert code == 0 and f"chain: checked in {tmp_path / 'ledger.json'}" in out
    (tmp_path / "ledger.json").write_text('{"format": "segproof.ledger/v1", "packs": []}')
    code, out, _ = run("verify", str(written.path))
    assert code == 4 and "is not recorded in" in out


@pytest.fixture(scope="module")
def sample_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The files (but the manifest and its signature) and the manifest's inputs of a pack of the sample."""
    samples = resource_dir("samples")
    pack = publish_assessment(StateSource(manifests=(str(samples / "cluster"),)), str(samples / "scope.yaml"),
                              ("pci-dss-4.0.1",), AnalysisOptions(), CREATED_AT, str(tmp_path_factory.mktemp("root")),
                              render=placeholder_report).pack.path
    files = {path.relative_to(pack).as_posix(): path.read_bytes() for path in pack.rglob("*")
             if path.is_file() and path.name not in (MANIFEST_FILE, SIGNATURE_FILE)}
    return files, json.loads((pack / MANIFEST_FILE).read_text())["inputs"]


def test_a_signed_sample_pack_re_performs(sample_pack: tuple[dict[str, bytes], dict[str, Any]], tmp_path: Path,
                                          signer: Signer) -> None:
    files, inputs = sample_pack
    pack = write_pack(tmp_path / "pack", files, created_at=CREATED_AT, inputs=inputs, signer=signer).path
    code, out, err = run("verify", str(pack), "--reperform")
    assert code == 0 and f"{pack}: re-performed " in out, out + err


@pytest.mark.parametrize(("field", "value", "message"), [
    ("assumptions", "strict", "inputs.assumptions: must be an object, not 'strict'"),
    ("assumptions.ipblock_selects_pods", "no", "inputs.assumptions.ipblock_selects_pods: must be true or false"),
    ("assumptions.policy_enforcement", "sometimes",
     "inputs.assumptions.policy_enforcement: must be one of default, always, never, not 'sometimes'"),
    ("assumptions.cluster_name", 5, "inputs.assumptions.cluster_name: must be a string, not 5"),
    ("frameworks", "pci-dss-4.0.1", "inputs.frameworks: must be a list, not 'pci-dss-4.0.1'"),
    ("frameworks", [4], "inputs.frameworks[0]: must be a string, not 4"),
    ("frameworks", ["pci-dss-9"], "inputs.frameworks: unknown framework 'pci-dss-9'"),
    ("git", "main", "inputs.git: must be an object, not 'main'"),
    ("git", {"paths": ["policies"]}, "inputs.git.commit: required field is missing"),
    ("git", {"commit": "0" * 40, "paths": "policies"}, "inputs.git.paths: must be a list, not 'policies'"),
], ids=["assumptions", "assumption", "enforcement-mode", "cluster-name", "frameworks", "framework-number",
        "framework-unknown", "git", "git-commit",
        "git-paths"])
def test_recorded_inputs_of_the_wrong_type_fail_re_performance(
        sample_pack: tuple[dict[str, bytes], dict[str, Any]], tmp_path: Path, signer: Signer, field: str, value: Any,
        message: str) -> None:
    files, inputs = sample_pack
    pack = write_pack(tmp_path / "pack", files, created_at=CREATED_AT, inputs=with_value(inputs, field, value),
                      signer=signer).path
    [item] = verify_packs([str(pack)], reperform=True).reperformed
    assert (item.result, item.error) == (None, f"manifest.json: {message}")
    code, out, err = run("verify", str(pack), "--reperform")
    assert code == 4 and "Traceback" not in err
    assert f"FAILED: {pack}: cannot be re-performed: manifest.json: {message}" in out.splitlines()


@pytest.mark.parametrize(("changes", "message"), [
    ({}, "snapshot.json: objects: required field is missing"),
    ({"scope.yaml": b"\xff\xfe"}, "scope.yaml: not UTF-8 text"),
    ({"data/controls.csv": b"control,status\n1.3.2,pass\n"},
     "data/controls.csv: has no column framework, checks, which re-performance compares"),
], ids=["builder-snapshot", "scope-not-utf8", "controls-columns"])
def test_signed_pack_files_that_cannot_be_evaluated_again_fail_re_performance(
        sample_pack: tuple[dict[str, bytes], dict[str, Any]], tmp_path: Path, signer: Signer, changes: dict,
        message: str) -> None:
    files, inputs = sample_pack
    source = complete_pack_files() if not changes else {**files, **changes}
    pack = write_pack(tmp_path / "pack", source, created_at=CREATED_AT, inputs=inputs, signer=signer).path
    code, out, err = run("verify", str(pack), "--reperform")
    assert code == 4 and "Traceback" not in err
    assert f"FAILED: {pack}: cannot be re-performed: {message}" in out.splitlines()


def test_a_short_row_in_a_compared_table_is_a_difference(sample_pack: tuple[dict[str, bytes], dict[str, Any]],
                                                         tmp_path: Path, signer: Signer) -> None:
    files, inputs = sample_pack
    controls = files["data/controls.csv"].decode("utf-8-sig").splitlines()
    short = ",".join(controls[1].split(",")[:2])
    changed = {**files, "data/controls.csv": "\n".join([controls[0], short, *controls[2:]]).encode() + b"\n"}
    pack = write_pack(tmp_path / "pack", changed, created_at=CREATED_AT, inputs=inputs, signer=signer).path
    code, out, err = run("verify", str(pack), "--reperform")
    assert code == 4 and "Traceback" not in err
    assert any(line.startswith(f"FAILED: {pack}: data/controls.csv: {short.replace(',', '/')}: ")
               for line in out.splitlines()), out
