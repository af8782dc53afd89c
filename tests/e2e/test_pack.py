"""Evidence packs end to end through the command line: write, verify, tamper, re-perform, crash, determinism."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from compliance.evidence.keys import load_certificate
from compliance.evidence.ledger import publish_pack, read_ledger
from compliance.evidence.pdf_signing import validate_pdf
from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.workflows.inputs import StateSource
from compliance.workflows.publish import publish_assessment
from compliance.workflows.reperform import reperform
from tests.evidence.builders import complete_pack_files
from tests.support.cli import run
from tests.support.renderers import placeholder_report
from tests.support.tsa import TimestampAuthority

SAMPLES = resource_dir("samples")
NOW = "2026-03-31T12:00:00Z"


def pack_arguments(demo_repository: str, keys: tuple[str, str], tsa: TimestampAuthority, out: Path) -> list[str]:
    """`segproof pack` of the sample with git history, signed and timestamped, into `out`."""
    return ["pack", "--manifests", str(SAMPLES / "cluster"), "--scope", str(SAMPLES / "scope.yaml"), "--framework",
            "pci-dss-4.0.1", "--git", demo_repository, "--out", str(out), "--sign-key", keys[0], "--sign-cert",
            keys[1], "--tsa", tsa.url, "--now", NOW, "-q"]


def tsa_root(root: Path) -> Path:
    """Where the root fixture keeps the certificate of its pack's timestamping authority."""
    return root.with_name(f"{root.name}-tsa-root.crt")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, keys: tuple[str, str], demo_repository: str) -> Path:
    """The pack every test here reads: the sample with its git history, signed and timestamped; beside it the
    root certificate of the timestamping authority (`<root>-tsa-root.crt`)."""
    folder = tmp_path_factory.mktemp("packs")
    with TimestampAuthority() as tsa:
        code, out, err = run(*pack_arguments(demo_repository, keys, tsa, folder))
        assert code == 0 and tsa.requests == 1, err
    assert "signed by CN=Test Signer,O=ACME Payments Ltd" in out
    tsa_root(folder).write_bytes(tsa.root.public_bytes(serialization.Encoding.PEM))
    return folder


@pytest.fixture
def pack_copy(root: Path, tmp_path: Path) -> Path:
    """A copy of the pack (in a fresh root) that a test may tamper with."""
    target = tmp_path / "pack"
    shutil.copytree(root / "20260331T120000Z", target)
    return target


def test_the_pack_holds_the_documented_files(root: Path) -> None:
    pack = root / "20260331T120000Z"
    names = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
    assert {"report.pdf", "manifest.json", "manifest.sig", "snapshot.json", "scope.yaml", "data/controls.csv",
            "data/findings.csv", "data/policies.csv", "data/workloads.csv", "data/reachability.csv",
            "data/zone_matrix.csv", "data/changes.csv", "data/drift.csv", "data/exceptions.csv",
            "data/cluster_policies.csv", "data/cluster_policy_rules.csv"} <= names
    assert not any("PRIVATE KEY" in p.read_text(errors="ignore") for p in pack.rglob("*") if p.is_file())
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["format"] == "segproof.pack/v1" and manifest["inputs"]["frameworks"] == ["pci-dss-4.0.1"]
    assert manifest["inputs"]["git"]["commit"]


def test_the_pack_verifies_against_its_certificate(root: Path, keys: tuple[str, str]) -> None:
    code, out, _ = run("verify", str(root / "20260331T120000Z"), "--trust", keys[1])
    assert code == 0 and "(trusted)" in out and out.rstrip().endswith("OK")


def test_the_pdf_holds_the_controls_and_verdicts_and_a_valid_signature(root: Path, keys: tuple[str, str]) -> None:
    pdf = (root / "20260331T120000Z" / "report.pdf").read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(str(root / "20260331T120000Z" / "report.pdf")).pages)
    for control in ("1.2.1", "1.3.1", "1.3.2", "11.4.5", "12.5.2"):
        assert control in text
    assert "Out-of-scope systems can reach the CDE" in text
    assert "allow-partner-webhooks" in text  # the unapproved change, from git
    check = validate_pdf(pdf, (load_certificate(keys[1]),))
    assert check.ok, check.problems


def tamper(pack: Path, how: str) -> str:
    """Change the pack one way; the name verify must report."""
    if how == "flip a byte":
        path = pack / "data" / "findings.csv"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        return "data/findings.csv"
    if how == "remove a file":
        (pack / "snapshot.json").unlink()
        return "snapshot.json"
    if how == "add a file":
        (pack / "data" / "extra.csv").write_text("a,b\n")
        return "data/extra.csv"
    if how == "edit the manifest":
        path = pack / "manifest.json"
        path.write_text(path.read_text().replace('"pci-dss-4.0.1"', '"pci-dss-3.2.1"'))
        return "manifest"
    if how == "replace the signature":
        envelope = json.loads((pack / "manifest.sig").read_text())
        envelope["signatures"][0]["sig"] = envelope["signatures"][0]["sig"][::-1]
        (pack / "manifest.sig").write_text(json.dumps(envelope))
        return "manifest.sig"
    with (pack / "report.pdf").open("ab") as handle:
        handle.write(b"\n% appended after signing\n")
    return "report.pdf"


@pytest.mark.parametrize("how", ["flip a byte", "remove a file", "add a file", "edit the manifest",
                                 "replace the signature", "append to the PDF"])
def test_every_tampering_is_named(pack_copy: Path, keys: tuple[str, str], how: str) -> None:
    name = tamper(pack_copy, how)
    code, out, err = run("verify", str(pack_copy), "--trust", keys[1])
    assert code == 4
    failures = [line for line in out.splitlines() if line.startswith("FAILED:")]
    assert failures and any(name in line for line in failures), out
    assert "verification failed" in err


def test_a_genuine_pack_copied_out_of_its_ledger_verifies_and_re_performs(pack_copy: Path, keys: tuple[str, str],
                                                                         tmp_path: Path) -> None:
    # The report's appendix tells auditors to run exactly `segproof verify PACK --trust CERT`.
    code, out, err = run("verify", str(pack_copy), "--trust", keys[1], "--reperform")
    assert code == 0, out + err
    assert "chain: not checked: no ledger beside the pack" in out and out.rstrip().endswith("OK")
    assert "re-performed" in out and "set aside (inputs not available): " in out  # no ledger, no git clone
    archive = Path(shutil.make_archive(str(tmp_path / "copied" / "pack"), "zip", pack_copy.parent, pack_copy.name))
    code, out, err = run("verify", str(archive), "--trust", keys[1])
    assert code == 0 and out.rstrip().endswith("OK"), out + err


def test_a_timestamped_pack_names_its_authority_and_time(root: Path, tmp_path: Path, keys: tuple[str, str]) -> None:
    code, out, _ = run("verify", "--chain", str(root), "--trust", keys[1], "--tsa-trust",
                       str(tsa_root(root)))
    assert code == 0 and out.rstrip().endswith("OK"), out
    assert "time: timestamped " in out and " by CN=Test TSA (trusted)" in out
    code, out, _ = run("verify", "--chain", str(root), "--trust", keys[1])
    assert code == 0 and "by CN=Test TSA (authority NOT VERIFIED against a trusted certificate" in out
    code, _, err = run("pack", "--manifests", str(SAMPLES / "cluster"), "--scope", str(SAMPLES / "scope.yaml"),
                       "--out", str(tmp_path / "other"), "--tsa", "http://127.0.0.1:9/tsa", "--now", NOW, "-q")
    assert code == 2 and "--tsa timestamps the signature, so it needs --sign-key and --sign-cert" in err


def test_a_pack_signed_by_someone_else_is_not_trusted(root: Path, tmp_path: Path) -> None:
    run("keys", "create", "--out", str(tmp_path), "--subject", "CN=Somebody Else")
    code, out, _ = run("verify", str(root / "20260331T120000Z"), "--trust", str(tmp_path / "signing.crt"))
    assert code == 4 and "FAILED" in out


def test_reperforming_gives_the_same_results(root: Path, demo_repository: str) -> None:
    code, out, err = run("verify", "--chain", str(root), "--reperform", "--git", demo_repository)
    assert code == 0, out + err
    assert "re-performed 26 controls" in out and "set aside" not in out


def test_reperforming_names_a_result_that_no_longer_holds(pack_copy: Path) -> None:
    scope = pack_copy / "scope.yaml"
    scope.write_text(scope.read_text().replace("ports: [{port: 8443}]", "ports: [{port: 9443}]"))
    result = reperform(pack_copy)
    assert any(problem.startswith("data/controls.csv: pci-dss-4.0.1/1.3.1") for problem in result.problems)
    assert "pci-dss-4.0.1/1.2.2" in result.set_aside  # git-based, and no clone was given


def publish_sample(out: Path, moment: str = NOW, options: AnalysisOptions | None = None) -> Path:
    """A pack of the sample written by the publishing workflow, with a placeholder report (its PDF is not read)."""
    published = publish_assessment(StateSource(manifests=(str(SAMPLES / "cluster"),)), str(SAMPLES / "scope.yaml"),
                                   ("pci-dss-4.0.1",), options or AnalysisOptions(), moment, str(out),
                                   render=placeholder_report)
    return published.pack.path


def test_reperforming_keeps_the_analysis_options_of_the_pack(tmp_path: Path) -> None:
    pack = publish_sample(tmp_path, options=AnalysisOptions(host_network_isolated=True))
    assert json.loads((pack / "manifest.json").read_text())["inputs"]["assumptions"]["host_network_isolated"]
    assert reperform(pack).problems == ()


def test_packs_under_one_root_form_a_chain(tmp_path: Path) -> None:
    for moment in ("2026-03-31T12:00:00Z", "2026-06-30T12:00:00Z"):
        publish_sample(tmp_path, moment)
    second = json.loads((tmp_path / "20260630T120000Z" / "manifest.json").read_text())
    assert second["previous"]["pack_id"].startswith("20260331T120000Z-")
    code, out, _ = run("verify", "--chain", str(tmp_path))
    assert code == 0 and "chain of 2 packs" in out
    controls = (tmp_path / "20260630T120000Z" / "data" / "controls.csv").read_text(encoding="utf-8-sig")
    assert "review.periodic" in controls


def test_a_back_dated_pack_is_refused_before_the_cluster_is_read(tmp_path: Path) -> None:
    newest = publish_pack(tmp_path, complete_pack_files(), created_at=NOW)
    for moment in ("2026-03-30T12:00:00Z", NOW):
        code, out, err = run("pack", "--manifests", str(tmp_path / "nothing-here"), "--scope",
                             str(SAMPLES / "scope.yaml"), "--out", str(tmp_path), "--now", moment, "-q")
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            f"segproof: error: {tmp_path / 'ledger.json'}: a pack created at {moment} would not come after the newest "
            f"pack {newest.manifest.pack_id} (created at {NOW}); the packs of a ledger are in time order",
            f"hint: give a time after {NOW} (--now), or another output root"]
    assert [entry.pack_id for entry in read_ledger(tmp_path)] == [newest.manifest.pack_id]


def unsigned_content(pack: Path) -> dict[str, object]:
    """Every file of a pack but its signatures: the report as rendered (before the signature's update), and the
    manifest without the signed report's hash."""
    found: dict[str, object] = {p.relative_to(pack).as_posix(): p.read_bytes() for p in pack.rglob("*")
                                if p.is_file()}
    del found["manifest.sig"]
    report = (pack / "report.pdf").read_bytes()
    found["report.pdf"] = report[:report.index(b"%%EOF") + len(b"%%EOF")]
    manifest = json.loads((pack / "manifest.json").read_bytes())
    manifest["files"] = [entry for entry in manifest["files"] if entry["path"] != "report.pdf"]
    found["manifest.json"] = manifest
    return found


def test_without_a_clock_change_everything_but_signatures_is_identical(root: Path, tmp_path: Path,
                                                                        keys: tuple[str, str],
                                                                        demo_repository: str) -> None:
    with TimestampAuthority() as tsa:
        code, _, err = run(*pack_arguments(demo_repository, keys, tsa, tmp_path))
        assert code == 0, err
    again = unsigned_content(tmp_path / "20260331T120000Z")
    assert again == unsigned_content(root / "20260331T120000Z")
    assert (tmp_path / "20260331T120000Z" / "report.pdf").read_bytes() != (root / "20260331T120000Z" /
                                                                          "report.pdf").read_bytes()


def test_a_killed_pack_run_leaves_nothing_that_verifies(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "compliance.cli", "pack", "--manifests", str(SAMPLES / "cluster"),
               "--scope", str(SAMPLES / "scope.yaml"), "--framework", "pci-dss-4.0.1", "--out", str(tmp_path),
               "--now", NOW, "-q"]
    process = subprocess.Popen(command)
    time.sleep(1.5)  # inside the evaluation or the rendering; a kill while files are staged is tested in evidence/
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "20260331T120000Z").exists()
    publish_sample(tmp_path)
    assert not list(tmp_path.glob(".segproof-tmp-*"))
    assert run("verify", "--chain", str(tmp_path))[0] == 0
