"""GitHub/GitLab-flavoured Markdown for pull-request comments: escaped text, code names, tables, collapsible parts,
and comments cut to fit the size a comment may have."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from compliance.report.formats import visible

SPECIAL = re.compile(r"([\\`*_\[\]<|~])")
COMMENT_LIMIT = 65_536  # characters in one GitHub comment body


def text(value: str) -> str:
    """Plain text with Markdown and HTML syntax escaped, on one line, `visible`."""
    return SPECIAL.sub(r"\\\1", visible(" ".join(value.split())))


def code(value: str) -> str:
    """A name as inline code, `visible`; a pipe is escaped so that it does not end a table cell."""
    return "`" + visible(value).replace("`", "'").replace("|", "\\|") + "`"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of already formatted cells, or `_none_` when there are no rows."""
    return joined((table_part(header, rows),))


def table_row(cells: Sequence[str]) -> str:
    """One line of a table."""
    return "| " + " | ".join(cells) + " |"


@dataclass(frozen=True)
class Part:
    """A stretch of a comment: fixed text, lines that may be cut from the end to fit the comment, fixed text; `noun`
    names the lines (`connections opened`) where the comment says what was cut."""

    before: str
    lines: tuple[str, ...] = ()
    after: str = ""
    noun: str = ""


def table_part(header: Sequence[str], rows: Sequence[Sequence[str]], noun: str = "rows", before: str = "",
               after: str = "") -> Part:
    """A table whose rows may be cut, or `_none_` when there are none."""
    if not rows:
        return Part(f"{before}_none_\n", (), after, noun)
    return Part(before + table_row(header) + "\n|" + "---|" * len(header) + "\n", tuple(map(table_row, rows)),
                after, noun)


def details_parts(summary: str, parts: Sequence[Part]) -> list[Part]:
    """Parts inside one collapsible section (closed by default), then a blank line."""
    first, *rest = parts
    summary = html.escape(visible(summary))
    inner = [replace(first, before=f"<details><summary>{summary}</summary>\n\n{first.before}"), *rest]
    return [*inner[:-1], replace(inner[-1], after=inner[-1].after + "\n</details>\n\n")]


def joined(parts: Sequence[Part], keep: int | None = None) -> str:
    """The parts as text, each keeping at most `keep` of its lines (all when None) and saying how many it lost."""
    text = []
    for part in parts:
        kept = part.lines[:keep]
        text += [part.before, *(line + "\n" for line in kept)]
        if len(kept) < len(part.lines):
            text.append(f"\n_{len(part.lines) - len(kept)} more {part.noun} cut (see the end)_\n")
        text.append(part.after)
    return "".join(text)


def fitted(parts: Sequence[Part], everything: str, limit: int = COMMENT_LIMIT) -> str:
    """The parts as one comment of at most `limit` characters, ending in one newline. When they do not fit, each part
    keeps the same largest number of its lines that fits (short parts stay whole, long ones are cut alike), and a
    last line says what was cut and that `everything` has it all."""
    full = joined(parts).rstrip("\n") + "\n"
    if len(full) <= limit:
        return full

    def cut(keep: int) -> str:
        lost = [f"{len(part.lines) - keep} of {len(part.lines)} {part.noun}"
                for part in parts if len(part.lines) > keep]
        return (joined(parts, keep).rstrip("\n") + f"\n\n**Cut to fit a comment of {limit:,} characters:** "
                f"{', '.join(lost)} not shown; {everything} has everything.\n")

    fits, too_many = 0, max(len(part.lines) for part in parts)  # `too_many` never fits: even `full` did not
    while too_many - fits > 1:
        middle = (fits + too_many) // 2
        fits, too_many = (middle, too_many) if len(cut(middle)) <= limit else (fits, middle)
    return cut(fits)[:limit]
