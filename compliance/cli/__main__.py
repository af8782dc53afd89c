"""`python -m compliance.cli`, named as the console script is (its usage lines, hints and shell completion)."""

from compliance.cli import main

main(prog_name="segproof")
