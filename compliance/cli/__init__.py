"""The `segproof` command line: each command parses its options, calls one workflow, and renders the result.

Errors are rendered once, by the group in `main`. Commands live by subject: `analysis` (reachability, explain,
collect, zones), `assessment` (evaluate, pack, run, controls), `changes` (history, drift, simulate), `evidence`
(verify, diff, keys, demo) and `completion` (the shell completion script); `options` and `output` are shared.
"""

from compliance.cli import analysis, assessment, changes, completion, evidence
from compliance.cli.main import main

__all__ = ["analysis", "assessment", "changes", "completion", "evidence", "main"]
