"""Markdown for pull-request comments: user text cannot break tables or inject HTML."""

from __future__ import annotations

from compliance.report import markdown


def test_text_is_escaped_and_kept_on_one_line() -> None:
    assert markdown.text("a | b\n<img src=x> *c* [d](e) \\") == "a \\| b \\<img src=x> \\*c\\* \\[d\\](e) \\\\"


def test_names_are_code_that_cannot_end_a_cell() -> None:
    assert markdown.code("ns/a|b`c") == "`ns/a\\|b'c`"


def test_tables_and_details() -> None:
    assert markdown.table(("A", "B"), [("1", "2")]) == "| A | B |\n|---|---|\n| 1 | 2 |\n"
    assert markdown.table(("A",), []) == "_none_\n"
    assert markdown.details("Opened <3>", "body\n") == (
        "<details><summary>Opened &lt;3&gt;</summary>\n\nbody\n\n</details>\n")


def test_bidirectional_and_control_characters_are_shown_as_escapes() -> None:
    assert markdown.text("pay \u202eexe.txt\x1b") == "pay \\\\u202eexe.txt\\\\u001b"
    assert markdown.code("ns/web\u2066x\u2069") == "`ns/web\\u2066x\\u2069`"
    assert markdown.details("web\u202e", "b") == "<details><summary>web\\u202e</summary>\n\nb\n\n</details>\n"
