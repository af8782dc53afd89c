"""The one-line JSON summary `segproof run` prints (`segproof.run/v1`), for schedulers and log collectors."""

from __future__ import annotations

import json

from compliance.controls import Assessment
from compliance.evidence.pack import WrittenPack

RUN_FORMAT = "segproof.run/v1"


def run_summary(written: WrittenPack, assessment: Assessment, signer: str | None, failed: bool) -> str:
    """Pack id, path, zip, signer, git commit, control counts per framework, and the outcome, on one line."""
    git = written.manifest.inputs.get("git")
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
        "failed": failed,
        "exit_code": 1 if failed else 0,
    }, ensure_ascii=False)
