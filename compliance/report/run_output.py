"""The one-line JSON summary `segproof run` prints (`segproof.run/v1`), for schedulers and log collectors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compliance.controls import Assessment
from compliance.errors import EXIT_CONTROLS_FAILED, EXIT_OK, EXIT_VERIFICATION_FAILED

RUN_FORMAT = "segproof.run/v1"


def run_summary(pack_id: str, created_at: str, path: str, zip_path: str | None, git: Mapping[str, Any] | None,
                assessment: Assessment, signer: str | None, failed: bool,
                chain: tuple[str, tuple[str, ...]] | None = None) -> str:
    """Pack id, time, path, zip, signer, git commit (the `git` inputs of its manifest), control counts per framework,
    the chain's verification (verdict and problems, when the configuration names a trust certificate) and the
    outcome, on one line."""
    exit_code = EXIT_VERIFICATION_FAILED if chain and chain[1] else EXIT_CONTROLS_FAILED if failed else EXIT_OK
    return json.dumps({
        "format": RUN_FORMAT,
        "pack_id": pack_id,
        "created_at": created_at,
        "path": path,
        "zip": zip_path,
        "signed": signer is not None,
        "signer": signer,
        "git": {"repository": git["repository"], "commit": git["commit"]} if git else None,
        "frameworks": {framework.id: assessment.counts(framework.id) for framework in assessment.frameworks},
        "chain": {"verdict": chain[0], "problems": list(chain[1])} if chain else None,
        "failed": failed,
        "exit_code": exit_code,
    }, ensure_ascii=False)
