"""Commands of the evidence: `keys create` says when the private key it writes is not encrypted."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from compliance.cli import main


def test_a_key_without_a_password_is_written_with_a_warning(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "create", "--out", str(tmp_path)], env={"SEGPROOF_KEY_PASSWORD": None})
    assert result.exit_code == 0
    assert result.stderr == (f"segproof: warning: {tmp_path / 'signing.key'} is not encrypted: SEGPROOF_KEY_PASSWORD "
                             "is not set; keep the file where only the signer can read it\n")
    assert b"BEGIN PRIVATE KEY" in (tmp_path / "signing.key").read_bytes()


def test_a_key_with_a_password_is_encrypted_without_a_warning(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "create", "--out", str(tmp_path), "--csr"],
                                env={"SEGPROOF_KEY_PASSWORD": "correct horse"})
    assert (result.exit_code, result.stderr) == (0, "")
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in (tmp_path / "signing.key").read_bytes()
