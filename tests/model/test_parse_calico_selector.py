"""Calico selector texts: what each one selects, how it is structured (precedence), the column and message of every
rejection, and that describe() reads back to the same term. Each case names the section of Calico's selector
reference (calico/reference/resources `_selectors.mdx`) it is written from, or libcalico-go's parser
(lib/selector/parser, tokenizer) where the documentation leaves the question open."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.errors import InvalidObject, InvalidSelector
from compliance.model.calico_selector import (
    Conjunction,
    Disjunction,
    Everything,
    LabelTest,
    Negation,
    NonNamespaced,
    Term,
)
from compliance.model.parse_calico_selector import MAX_NESTING, parse_calico_selector

SYNTAX = "selectors: syntax table"
LOGIC = "selectors: logical operators"
PARSER = "libcalico-go parser"
TOKENIZER = "libcalico-go tokenizer"

WEB = {"app": "web", "tier": "frontend"}
DB = {"app": "db", "tier": "backend", "pci": "yes"}
BARE: dict[str, str] = {}

# (doc section, selector, labels, selected)
MATCHES = [
    (SYNTAX, "all()", BARE, True),
    (SYNTAX, "app == 'web'", WEB, True),
    (SYNTAX, "app == 'web'", DB, False),
    (SYNTAX, 'app == "web"', WEB, True),
    (SYNTAX, "app != 'web'", DB, True),
    (SYNTAX, "app != 'web'", WEB, False),
    (SYNTAX, "app != 'web'", BARE, True),  # `!=` also holds without the label
    (SYNTAX, "has(pci)", DB, True),
    (SYNTAX, "has(pci)", WEB, False),
    (SYNTAX, "!has(pci)", WEB, True),
    (SYNTAX, "!has(pci)", DB, False),
    (SYNTAX, "app in {'web', 'api'}", WEB, True),
    (SYNTAX, "app in {'web', 'api'}", DB, False),
    (SYNTAX, "app in {'web'}", BARE, False),
    (SYNTAX, "app not in {'web', 'api'}", DB, True),
    (SYNTAX, "app not in {'web', 'api'}", WEB, False),
    (SYNTAX, "app not in {'web'}", BARE, True),  # `not in` also holds without the label
    (SYNTAX, "tier contains 'end'", WEB, True),
    (SYNTAX, "tier contains 'end'", BARE, False),
    (SYNTAX, "tier starts with 'front'", WEB, True),
    (SYNTAX, "tier starts with 'front'", DB, False),
    (SYNTAX, "tier ends with 'end'", DB, True),
    (SYNTAX, "tier ends with 'front'", WEB, False),
    (SYNTAX, "global()", WEB, False),  # only non-namespaced resources
    (LOGIC, "app == 'db' && has(pci)", DB, True),
    (LOGIC, "app == 'db' && has(pci)", WEB, False),
    (LOGIC, "app == 'web' || has(pci)", DB, True),
    (LOGIC, "!(app == 'web' || has(pci))", BARE, True),
    (LOGIC, "!(app == 'web' || has(pci))", WEB, False),
    (PARSER, "", WEB, True),  # an empty selector is all()
    (PARSER, " \t ", BARE, True),
    (PARSER, "app == 'web' || app == 'db' && has(pci)", WEB, True),  # `&&` binds tighter than `||`
    (PARSER, "(app == 'web' || app == 'db') && has(pci)", WEB, False),
    (PARSER, "!has(pci) && app == 'web'", WEB, True),  # `!` applies to one operation
    (PARSER, "!!has(pci)", DB, True),  # a run of `!` collapses
    (PARSER, "!(!has(pci))", DB, True),
    (PARSER, "app in {}", WEB, False),
    (PARSER, "app not in {}", WEB, True),
    (PARSER, "app in {'web',}", WEB, True),  # a trailing comma closes the set
    (TOKENIZER, "app=='web'&&tier=='frontend'", WEB, True),  # no spaces needed between tokens
    (TOKENIZER, "tier startswith 'front'", WEB, True),  # `starts with` may be written without the space
    (TOKENIZER, "app notin {'db'}", WEB, True),
    (TOKENIZER, "has( app )", WEB, True),
    (TOKENIZER, "all( )", BARE, True),
    (SYNTAX, "app == \"it's\"", {"app": "it's"}, True),  # no escapes: the other quote holds a quote
]


@pytest.mark.parametrize(("section", "text", "labels", "selected"), MATCHES,
                         ids=[f"{case[0]}: {case[1]!r} {case[2]}" for case in MATCHES])
def test_a_selector_selects_what_calico_documents(section: str, text: str, labels: dict[str, str],
                                                  selected: bool) -> None:
    assert parse_calico_selector(text, "spec.selector").matches(labels) is selected


def has(key: str) -> LabelTest:
    """`has(key)`."""
    return LabelTest(key, "has")


def equals(key: str, value: str) -> LabelTest:
    """`key == 'value'`."""
    return LabelTest(key, "==", (value,))


A, B, C = has("a"), has("b"), has("c")
# (doc section, selector, term)
STRUCTURES: list[tuple[str, str, Term]] = [
    (PARSER, "has(a) || has(b) && has(c)", Disjunction((A, Conjunction((B, C))))),
    (PARSER, "has(a) && has(b) || has(c)", Disjunction((Conjunction((A, B)), C))),
    (PARSER, "has(a) && (has(b) || has(c))", Conjunction((A, Disjunction((B, C))))),
    (PARSER, "!has(a) && has(b)", Conjunction((Negation(A), B))),
    (PARSER, "!(has(a) && has(b))", Negation(Conjunction((A, B)))),
    (PARSER, "!!!has(a)", Negation(A)),
    (PARSER, "(has(a))", A),
    (PARSER, "has(a) && has(b) && has(c)", Conjunction((A, B, C))),
    (SYNTAX, "k in {'b', 'a', 'b'}", LabelTest("k", "in", ("a", "b"))),  # a set: order and repeats do not count
    (SYNTAX, "k == \"it's\"", equals("k", "it's")),
    (SYNTAX, "projectcalico.org/namespace == 'cde'", equals("projectcalico.org/namespace", "cde")),
    (SYNTAX, "all()", Everything()),
    (SYNTAX, "global()", NonNamespaced()),
    (TOKENIZER, "k ends  with ''", LabelTest("k", "ends with", ("",))),
]


@pytest.mark.parametrize(("section", "text", "term"), STRUCTURES, ids=[f"{c[0]}: {c[1]!r}" for c in STRUCTURES])
def test_precedence_and_grouping_follow_calicos_parser(section: str, text: str, term: Term) -> None:
    assert parse_calico_selector(text, "spec.selector").term == term


@pytest.mark.parametrize("text", sorted({case[1] for case in MATCHES} | {case[1] for case in STRUCTURES}))
def test_describe_reads_back_to_the_same_term(text: str) -> None:
    term = parse_calico_selector(text, "spec.selector").term
    assert parse_calico_selector(term.describe(), "spec.selector").term == term


KEYS = st.sampled_from(["app", "tier", "example.com/zone", "projectcalico.org/name", "a-b_c.d"])
VALUES = st.text(st.sampled_from("az09 -_./'"), max_size=6)  # one kind of quote: a value can hold the other
TESTS = st.one_of(
    st.builds(LabelTest, KEYS, st.just("has")),
    st.builds(lambda key, operator, value: LabelTest(key, operator, (value,)), KEYS,
              st.sampled_from(["==", "!=", "contains", "starts with", "ends with"]), VALUES),
    st.builds(lambda key, operator, values: LabelTest(key, operator, tuple(sorted(values))), KEYS,
              st.sampled_from(["in", "not in"]), st.frozensets(VALUES, max_size=3)),
    st.just(Everything()), st.just(NonNamespaced()))
TERMS = st.recursive(TESTS, lambda inner: st.one_of(
    st.builds(Negation, inner).filter(lambda term: not isinstance(term.term, Negation)),
    st.builds(Conjunction, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    st.builds(Disjunction, st.lists(inner, min_size=2, max_size=3).map(tuple))), max_leaves=12)


@given(TERMS)
def test_any_term_reads_back_from_its_description(term: Term) -> None:
    # libcalico-go parser: the grammar describe() writes is the one the parser reads
    assert parse_calico_selector(term.describe(), "spec.selector").term == term


def test_the_text_is_kept_as_written_and_an_empty_one_shows_as_all() -> None:
    assert parse_calico_selector("app=='web'", "f").describe() == "app=='web'"
    assert parse_calico_selector("", "f").describe() == "all()"


# (doc section, selector, column, message)
ERRORS = [
    (SYNTAX, "app == web", 8, "expected a quoted value, found 'web'"),
    (SYNTAX, "app == ", 8, "expected a quoted value, found end of selector"),
    (SYNTAX, "app = 'web'", 5, "expected an operator after label 'app' (==, !=, in, not in, contains, starts with "
                               "or ends with), found '='"),
    (SYNTAX, "app", 4, "expected an operator after label 'app'"),
    (SYNTAX, "app == 'web", 8, "unterminated value: no closing '"),
    (SYNTAX, "app == 'it''s'", 12, "unexpected \"'\" after the selector"),  # no escapes
    (SYNTAX, "app in 'web'", 8, "expected '{' to start the set of values after in, found \"'\""),
    (SYNTAX, "app in {'a' 'b'}", 13, "expected ',' or '}' after a value of the set, found \"'\""),
    (SYNTAX, "app in {'a', b}", 14, "expected a quoted value or '}', found 'b'"),
    (SYNTAX, "app not in {'a'", 16, "expected ',' or '}' after a value of the set, found end of selector"),
    (SYNTAX, "has(app", 8, "expected ')' to close has(, found end of selector"),
    (SYNTAX, "has()", 5, "expected a label name in has(, found ')'"),
    (SYNTAX, "all(x)", 5, "expected ')' after all(, found 'x'"),
    (SYNTAX, "App/x == 'a'", 1, "invalid label key 'App/x'"),
    (SYNTAX, "has(-a)", 5, "invalid label key '-a'"),
    (LOGIC, "has(a) & has(b)", 8, "expected '&&', found '&'"),
    (LOGIC, "has(a) | has(b)", 8, "expected '||', found '|'"),
    (LOGIC, "has(a) &&", 10, "expected a label, has(), all(), global(), '!' or '(', found end of selector"),
    (LOGIC, "has(a) has(b)", 8, "unexpected 'has' after the selector (expected '&&', '||' or the end)"),
    (LOGIC, "(has(a)", 8, "expected ')' to close the '(' at column 1, found end of selector"),
    (LOGIC, "has(a))", 7, "unexpected ')' after the selector"),
    (LOGIC, "!", 2, "expected a label, has(), all(), global(), '!' or '(', found end of selector"),
    (TOKENIZER, "has (a)", 5, "expected an operator after label 'has'"),  # `has` then a space is a label
    (TOKENIZER, "app == 'a'\n", 11, "unexpected '\\n' after the selector"),  # only spaces and tabs are whitespace
]


@pytest.mark.parametrize(("section", "text", "column", "message"), ERRORS, ids=[f"{c[0]}: {c[1]!r}" for c in ERRORS])
def test_an_invalid_selector_names_the_field_and_column(section: str, text: str, column: int, message: str) -> None:
    with pytest.raises(InvalidSelector) as raised:
        parse_calico_selector(text, "spec.ingress[0].source.selector")
    assert raised.value.column == column
    assert raised.value.field == "spec.ingress[0].source.selector"
    assert raised.value.message.startswith(f"spec.ingress[0].source.selector: column {column}: {message}")
    assert isinstance(raised.value, InvalidObject)  # located like every other field error


def test_deep_nesting_is_refused_with_a_message_not_a_recursion_error() -> None:
    deep = "(" * (MAX_NESTING + 1) + "all()" + ")" * (MAX_NESTING + 1)
    with pytest.raises(InvalidSelector, match=f"nested more than {MAX_NESTING} deep"):
        parse_calico_selector(deep, "spec.selector")
    just = "(" * MAX_NESTING + "all()" + ")" * MAX_NESTING
    assert parse_calico_selector(just, "spec.selector").term == Everything()


def test_long_chains_parse_without_recursion() -> None:
    text = " && ".join(f"has(k{index})" for index in range(5000))
    term = parse_calico_selector(text, "spec.selector").term
    assert isinstance(term, Conjunction) and len(term.terms) == 5000
    assert parse_calico_selector("!" * 5001 + "has(a)", "f").term == Negation(A)
