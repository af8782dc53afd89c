"""`python -m compliance.cli`."""

from compliance.cli import main

main()
