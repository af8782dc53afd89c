"""Calico selector text to terms, read as libcalico-go's tokenizer and parser read it, with errors at a column.

Grammar (lowest precedence first; `&&` and `||` mix without parentheses, `&&` binding tighter):

    selector   := or-expr | (only spaces and tabs: all())
    or-expr    := and-expr ('||' and-expr)*
    and-expr   := operation ('&&' operation)*
    operation  := '!'* (has(k) | all() | global() | k comparison | '(' or-expr ')')
    comparison := '==' v | '!=' v | contains v | starts with v | ends with v | in set | not in set
    set        := '{' (v (',' v)* ','?)? '}'

`!` applies to the one operation after it (a run of them collapses: `!!a` is `a`). A value `v` is quoted with
`'` or `"` and has no escapes. Whitespace is spaces and tabs only. Label keys must be Kubernetes label keys
(Calico's tokenizer admits any run of letters, digits and `_./-`; the API server admits only valid keys on
endpoints, so another key would match nothing). Values are not checked: `contains` takes any substring.
"""

from __future__ import annotations

import functools
import re

from compliance.documents import shown
from compliance.errors import InvalidSelector
from compliance.model.calico_selector import (
    CalicoSelector,
    Conjunction,
    Disjunction,
    Everything,
    LabelTest,
    Negation,
    NonNamespaced,
    Term,
)
from compliance.model.names import LABEL_KEY_RULE, valid_label_key

MAX_NESTING = 64  # parentheses within parentheses: far beyond any real selector, well within Python's stack
WHITESPACE = re.compile(r"[ \t]*")
LABEL = re.compile(r"[a-zA-Z0-9_./-]+")
FUNCTION = re.compile(r"(has|all|global)\([ \t]*")
# after a label, Calico's tokenizer looks for these as prefixes, spaces or tabs allowed inside the two-word ones
COMPARISON = re.compile(r"==|!=|contains|starts[ \t]*with|ends[ \t]*with|not[ \t]*in|in")
SPELLED = {"sta": "starts with", "end": "ends with", "not": "not in"}  # the two-word operators, by how they start
OPERATORS_AFTER_LABEL = "==, !=, in, not in, contains, starts with or ends with"
TERM_START = "a label, has(), all(), global(), '!' or '('"


class SelectorSyntaxError(Exception):
    """Where (0-based offset) and what went wrong; the caller names the field."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse_calico_selector(text: str, field: str) -> CalicoSelector:
    """A Calico selector; a text of only spaces and tabs selects everything (`all()`), as Calico reads it."""
    try:
        term = selector_term(text)
    except SelectorSyntaxError as error:
        raise InvalidSelector(field, error.offset + 1, error.message) from None
    return CalicoSelector(text if text.strip(" \t") else "all()", term)


@functools.lru_cache(maxsize=1 << 12)  # policies repeat their selectors
def selector_term(text: str) -> Term:
    """The term of a selector text (SelectorSyntaxError when it does not parse)."""
    reader = SelectorReader(text)
    if reader.at_end():
        return Everything()
    term = reader.or_expression(0)
    if not reader.at_end():
        raise SelectorSyntaxError(reader.position, f"unexpected {reader.found()} after the selector (expected "
                                  "'&&', '||' or the end)")
    return term


class SelectorReader:
    """A cursor over one selector text; each method reads one part of the grammar from the current position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip_space(self) -> None:
        """Move past spaces and tabs."""
        match = WHITESPACE.match(self.text, self.position)
        self.position = match.end() if match else self.position

    def at_end(self) -> bool:
        """Whether only spaces and tabs remain."""
        self.skip_space()
        return self.position >= len(self.text)

    def found(self) -> str:
        """What stands at the current position, for a message."""
        if self.position >= len(self.text):
            return "end of selector"
        label = LABEL.match(self.text, self.position)
        return shown(label.group() if label else self.text[self.position])

    def take(self, token: str) -> bool:
        """Consume `token` when it comes next."""
        self.skip_space()
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def expect(self, token: str, message: str) -> None:
        """Consume `token`, or fail with `message`."""
        if not self.take(token):
            raise SelectorSyntaxError(self.position, f"{message}, found {self.found()}")

    def or_expression(self, depth: int) -> Term:
        """and-expr ('||' and-expr)*."""
        terms = [self.and_expression(depth)]
        while self.operator("||"):
            terms.append(self.and_expression(depth))
        return terms[0] if len(terms) == 1 else Disjunction(tuple(terms))

    def and_expression(self, depth: int) -> Term:
        """operation ('&&' operation)*."""
        terms = [self.operation(depth)]
        while self.operator("&&"):
            terms.append(self.operation(depth))
        return terms[0] if len(terms) == 1 else Conjunction(tuple(terms))

    def operator(self, token: str) -> bool:
        """Consume `&&` or `||`; a lone `&` or `|` is an error, as Calico's tokenizer has it."""
        if self.take(token):
            return True
        if self.text.startswith(token[0], self.position):
            raise SelectorSyntaxError(self.position, f"expected {token!r}, found {shown(token[0])}")
        return False

    def operation(self, depth: int) -> Term:
        """'!'* then one operation; an odd number of '!' negates it."""
        negated = False
        while True:
            self.skip_space()
            if self.text.startswith("!", self.position) and not self.text.startswith("!=", self.position):
                negated = not negated
                self.position += 1
            else:
                break
        term = self.operand(depth)
        if not negated:
            return term
        return term.term if isinstance(term, Negation) else Negation(term)  # `!(!a)` is `a`

    def operand(self, depth: int) -> Term:
        """has(k), all(), global(), a comparison, or a parenthesised expression."""
        self.skip_space()
        start = self.position
        if self.take("("):
            if depth >= MAX_NESTING:
                raise SelectorSyntaxError(start, f"parentheses nested more than {MAX_NESTING} deep")
            term = self.or_expression(depth + 1)
            self.expect(")", f"expected ')' to close the '(' at column {start + 1}")
            return term
        function = FUNCTION.match(self.text, self.position)
        if function:
            self.position = function.end()
            name = function.group(1)
            if name != "has":
                self.expect(")", f"expected ')' after {name}(")
                return Everything() if name == "all" else NonNamespaced()
            key = self.label("expected a label name in has(")
            self.expect(")", "expected ')' to close has(")
            return LabelTest(key, "has")
        if LABEL.match(self.text, self.position) is None:
            raise SelectorSyntaxError(self.position, f"expected {TERM_START}, found {self.found()}")
        return self.comparison(self.label(""))

    def label(self, missing: str) -> str:
        """A label key, valid as a Kubernetes label key."""
        self.skip_space()
        match = LABEL.match(self.text, self.position)
        if match is None:
            raise SelectorSyntaxError(self.position, f"{missing}, found {self.found()}")
        key = match.group()
        if not valid_label_key(key):
            raise SelectorSyntaxError(self.position, f"invalid label key {shown(key)} (must be {LABEL_KEY_RULE})")
        self.position = match.end()
        return key

    def comparison(self, key: str) -> LabelTest:
        """The operator and value(s) after a label."""
        self.skip_space()
        match = COMPARISON.match(self.text, self.position)
        if match is None:
            raise SelectorSyntaxError(self.position, f"expected an operator after label {shown(key)} "
                                      f"({OPERATORS_AFTER_LABEL}), found {self.found()}")
        self.position = match.end()
        operator = SPELLED.get(match.group()[:3], match.group())
        if operator not in ("in", "not in"):
            return LabelTest(key, operator, (self.value(),))
        self.expect("{", f"expected '{{' to start the set of values after {operator}")
        values: list[str] = []
        while not self.take("}"):
            self.skip_space()
            if self.position >= len(self.text) or self.text[self.position] not in "'\"":
                raise SelectorSyntaxError(self.position, f"expected a quoted value or '}}', found {self.found()}")
            values.append(self.value())
            if not self.take(","):
                self.expect("}", "expected ',' or '}' after a value of the set")
                break
        return LabelTest(key, operator, tuple(sorted(set(values))))

    def value(self) -> str:
        """A value in single or double quotes."""
        self.skip_space()
        quote = self.text[self.position] if self.position < len(self.text) else ""
        if quote not in ("'", '"'):
            raise SelectorSyntaxError(self.position, f"expected a quoted value, found {self.found()}")
        end = self.text.find(quote, self.position + 1)
        if end < 0:
            raise SelectorSyntaxError(self.position, f"unterminated value: no closing {quote}")
        value = self.text[self.position + 1:end]
        self.position = end + 1
        return value
