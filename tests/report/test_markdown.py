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
    assert markdown.joined(markdown.details_parts("Opened <3>", [markdown.Part("body\n")])) == (
        "<details><summary>Opened &lt;3&gt;</summary>\n\nbody\n\n</details>\n\n")


def test_a_comment_that_fits_is_left_whole() -> None:
    parts = [markdown.Part("# Title\n\n"),
             *markdown.details_parts("Rows", [markdown.table_part(("A",), [("1",), ("2",)], "rows")])]
    assert markdown.fitted(parts, "`-o json`") == (
        "# Title\n\n<details><summary>Rows</summary>\n\n| A |\n|---|\n| 1 |\n| 2 |\n\n</details>\n")


def test_a_comment_too_long_cuts_its_long_parts_alike_and_says_what_was_cut() -> None:
    parts = [markdown.Part("# Title\n\n"),
             markdown.Part("", tuple(f"- short {index}" for index in range(3)), "\n", "notes"),
             *markdown.details_parts("Many", [markdown.table_part(("A",), [(f"row {i:04}",) for i in range(1000)],
                                                                  "rows")]),
             *markdown.details_parts("More", [markdown.Part("", tuple(f"- item {i:04}" for i in range(500)), "",
                                                            "items")])]
    comment = markdown.fitted(parts, "`-o json`", limit=2_000)
    assert len(comment) <= 2_000
    assert "- short 2\n" in comment  # short parts stay whole
    kept = comment.count("| row ")
    assert kept == comment.count("- item ") > 10
    assert f"\n_{1000 - kept} more rows cut (see the end)_\n" in comment
    assert comment.count("<details>") == comment.count("</details>") == 2
    assert comment.endswith(f"\n\n**Cut to fit a comment of 2,000 characters:** {1000 - kept} of 1000 rows, "
                            f"{500 - kept} of 500 items not shown; `-o json` has everything.\n")
    # As many as fit: one more line in each long part (25 characters) would not.
    assert len(comment) + 25 > 2_000 - 2


def test_bidirectional_and_control_characters_are_shown_as_escapes() -> None:
    assert markdown.text("pay \u202eexe.txt\x1b") == "pay \\\\u202eexe.txt\\\\u001b"
    assert markdown.code("ns/web\u2066x\u2069") == "`ns/web\\u2066x\\u2069`"
    assert markdown.joined(markdown.details_parts("web\u202e", [markdown.Part("b\n")])) == (
        "<details><summary>web\\u202e</summary>\n\nb\n\n</details>\n\n")
