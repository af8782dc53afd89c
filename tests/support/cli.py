"""Running the real command line in-process."""

from __future__ import annotations

from click.testing import CliRunner

from compliance.cli import main

SIGNER = "CN=Test Signer,O=ACME Payments Ltd"


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one segproof command."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr
