"""GitHub/GitLab-flavoured Markdown for pull-request comments: escaped text, code names, tables, collapsible parts."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from compliance.report.formats import visible

SPECIAL = re.compile(r"([\\`*_\[\]<|~])")


def text(value: str) -> str:
    """Plain text with Markdown and HTML syntax escaped, on one line, `visible`."""
    return SPECIAL.sub(r"\\\1", visible(" ".join(value.split())))


def code(value: str) -> str:
    """A name as inline code, `visible`; a pipe is escaped so that it does not end a table cell."""
    return "`" + visible(value).replace("`", "'").replace("|", "\\|") + "`"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of already formatted cells, or `_none_` when there are no rows."""
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def details(summary: str, body: str) -> str:
    """A collapsible section, closed by default."""
    return f"<details><summary>{html.escape(visible(summary))}</summary>\n\n{body.rstrip()}\n\n</details>\n"
