"""The one-line JSON summary `segproof run` prints (`segproof.run/v1`), for schedulers and log collectors."""

from __future__ import annotations

import json

from compliance.controls import Assessment
from compliance.errors import EXIT_CONTROLS_FAILED, EXIT_OK, EXIT_VERIFICATION_FAILED
from compliance.evidence.pack import WrittenPack

RUN_FORMAT = "segproof.run/v1"


def run_summary(written: WrittenPack, assessment: Assessment, signer: str | None, failed: bool,
                chain: tuple[str, tuple[str, ...]] | None = None) -> str:
    """Pack id, path, zip, signer, git commit, control counts per framework, the chain's verification (verdict
    and problems, when the configuration names a trust certificate) and the outcome, on one line."""
    git = written.manifest.inputs.get("git")
    exit_code = EXIT_VERIFICATION_FAILED if chain and chain[1] else EXIT_CONTROLS_FAILED if failed else EXIT_OK
    return json.dumps({
        "format": RUN_FORMAT,
        "pack_id": written.manifest.pack_id,
        "created_at": written.manifest.created_at,
        "path": str(written.path),
        "zip": str(written.zip_path) if written.zip_path else None,
        "signed": signer is not None,
        "signer": signer,
        "git": {"repository": git["repository"], "commit": git["commit"]} if git else None,
        "frameworks": {framework.id: assessment.counts(framework.id) for framework in assessment.frameworks},
        "chain": {"verdict": chain[0], "problems": list(chain[1])} if chain else None,
        "failed": failed,
        "exit_code": exit_code,
    }, ensure_ascii=False)
