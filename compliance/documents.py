"""Reading documents: YAML texts (Kubernetes manifests with YAML 1.1 values, segproof's own files with located
errors), JSON texts, and the typed fields of parsed documents, each error naming the field.

Kubernetes reads manifests as YAML 1.1 (what PyYAML implements). ryaml, a YAML 1.2 parser written
in Rust, is many times faster and gives the same values unless a plain scalar is one YAML 1.1 reads
differently: yes/no/on/off, leading-zero or 0b/0o numbers, sexagesimal numbers, underscores in
numbers, exponents without a dot, timestamps, merge keys, integers too long for ryaml. The text is parsed
once, by ryaml: each string of its result that YAML 1.1 would read otherwise as a plain scalar is looked up
in the text, and when every one of its whole occurrences there is plain (or none is), it is read as YAML 1.1
reads it (or kept). PyYAML reads the text instead, and its messages name line and column, only when the text
cannot tell: such a string stands both plain and quoted, with an anchor or tag, right after a block scalar's
header, inside other scalars as often as missing, or beside a backslash escape; a float may have been written
in a form YAML 1.1 reads as a string (1e3, +.5, a long integer); a value is NaN, infinite or one PyYAML
refuses; the text holds a 0o number, a merge key or an alias.

Every reader holds a hostile text to limits no real cluster reaches, each refused with its own located
message: nesting deeper than MAX_DEPTH, aliases repeating more than MAX_ALIAS_NODES nodes (a 1 KB "billion
laughs" repeats 10^9), duplicate keys (as `kubectl apply` refuses them), NaN and infinite numbers (JSON has
none), keys that cannot be keys. ryaml refuses nesting beyond its own limit of 128 and repeats aliases itself,
so texts with aliases, and texts ryaml refuses, are read by PyYAML composing under these limits; PyYAML's
fast C composer only reads texts ryaml has already found within them.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, NodeEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from compliance.errors import ConfigError, InvalidObject

API_VERSION = "segproof/v1"
MAX_DEPTH = 128  # mappings and lists nested in one document: ryaml's limit; Kubernetes objects nest about 20 deep
MAX_ALIAS_NODES = 100_000  # nodes that YAML aliases repeat in one document
SHOWN_CHARACTERS = 66  # a value longer than this is shortened in messages (a 63-character label shows whole)
PLAIN_RESOLVER = Resolver()
STRING_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
UNREADABLE = object()  # a YAML 1.1 value PyYAML refuses (NaN, `=`...): PyYAML reads the text to place the error
YAML11_FIRST = frozenset("yYnNoO0123456789+-.<=")  # first characters of plain scalars ryaml reads as strings
# and YAML 1.1 as something else (ryaml reads true, false, null and ~ as YAML 1.1 does)
PLAIN_AFTER = r".*(?::[ \t]+|[\[{,][ \t]*|[\"'\]}]:[ \t]*)"  # an indicator a plain scalar may follow on its line
PLAIN_PROPERTIES = r"((?:[&!][^ \t]*[ \t]+)*)"  # its anchor or tag
PLAIN_START = re.compile(r"(?:\ufeff?[ \t]*(?:(?:-|\?|:|---)[ \t]+)*|" + PLAIN_AFTER + ")" + PLAIN_PROPERTIES)
LOOK_BACK = 512  # characters of a line looked at before a value; PyYAML reads a longer line's plain-looking one
PLAIN_END = re.compile(r"[ \t]*(?:[\r\n\x85\u2028\u2029]|\Z)|[ \t]+#|[ \t]*[,\]}]|:(?:[ \t\r\n]|\Z)")
BLOCK_HEADER_LINE = re.compile(r"[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\r?\n\Z")
YAML12_FLOAT_TEXT = re.compile(r"(?<![^\s\[{,:])(?:[-+]?[0-9][0-9.]*[eE]|[-+]?\.[0-9]+[eE]|[-+]\.[0-9]|[-+]?[0-9]{19})")
# plain numbers ryaml may read as floats where YAML 1.1 reads no float: exponents without a dot or a sign, a sign
# before a leading dot, integers too long for 128 bits
YAML12_ONLY_TEXT = re.compile(r"0[oO][0-7]|<<")
ALIAS_CANDIDATE = re.compile(r"\*[0-9A-Za-z_-]")  # libyaml's alias names; at the start or after ALIAS_FOLLOWS
ALIAS_FOLLOWS = frozenset(" \t\r\n\x85\u2028\u2029\ufeff[{,:")


class PythonParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python reader, scanner and parser: events for small texts, with the exact place of an error."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the same events, slower
    CParser = PythonParser  # type: ignore[misc,assignment]


def has_alias(text: str) -> bool:
    """Whether the text may hold a YAML alias (`*name`); never False when it does."""
    return any(match.start() == 0 or text[match.start() - 1] in ALIAS_FOLLOWS
               for match in ALIAS_CANDIDATE.finditer(text))


def ryaml_documents(text: str) -> list[Any] | None:
    """The documents as ryaml reads them, or None when the bounded PyYAML reader must read the text: it holds an
    alias, a merge key or a 0o number, or ryaml refuses it (invalid, or beyond ryaml's limits)."""
    if YAML12_ONLY_TEXT.search(text) or has_alias(text):
        return None
    import ryaml

    try:
        return ryaml.loads_all(text)
    except (ryaml.InvalidYamlError, ValueError):  # ValueError: e.g. a list as a key
        return None


@functools.lru_cache(maxsize=1 << 14)
def yaml11_reading(value: str) -> tuple[str, Any] | None:
    """(tag, value) YAML 1.1 gives the plain scalar `value` where ryaml would read it as this string; None when
    both read it alike, or when no plain scalar reads as this string in ryaml (true, null, 80...)."""
    tag = PLAIN_RESOLVER.resolve(ScalarNode, value, (True, False))
    if tag in (STRING_TAG, NULL_TAG):  # ryaml reads every YAML 1.1 null as None too
        return None
    import ryaml

    try:
        if not isinstance(ryaml.loads(value), str):
            return None
    except (ryaml.InvalidYamlError, ValueError):  # ryaml reads no plain scalar so (an integer beyond 128 bits):
        return None  # a string of its result was quoted, and YAML 1.1 reads it as a string too
    constructor = CheckedConstructor.yaml_constructors.get(tag)
    if constructor is None:
        return tag, UNREADABLE
    try:
        return tag, constructor(CheckedConstructor(), ScalarNode(tag, value))
    except (ConstructorError, ValueError):
        return tag, UNREADABLE


def strings_at_risk(documents: list[Any]) -> tuple[Counter[str], bool] | None:
    """How often each string that YAML 1.1 may read differently occurs (keys included), and whether a float
    occurs; None when a float is not finite (PyYAML then names its place). ryaml's values are of the builtin types
    exactly; only mappings and lists go on the stack, the scalars of each are looked at in one loop."""
    counts: Counter[str] = Counter()
    floats = False
    pending: list[Any] = [documents]
    while pending:
        item = pending.pop()
        for scalars in (item, item.values()) if type(item) is dict else (item,):
            for value in scalars:
                kind = type(value)
                if kind is str:
                    if value[:1] in YAML11_FIRST and yaml11_reading(value) is not None:
                        counts[value] += 1
                elif kind is dict or kind is list:
                    pending.append(value)
                elif kind is float:
                    if not math.isfinite(value):
                        return None
                    floats = True
    return counts, floats


def plain_occurrences(text: str, value: str) -> int | None:
    """How many times `value` stands in the text as a whole plain scalar; None when that count cannot tell: it
    also stands quoted, or with an anchor or tag, or right after a block scalar's header (as its content)."""
    count = 0
    quoted = False
    position = text.find(value)
    while position >= 0:
        end = position + len(value)
        before = text[position - 1] if position else "\n"
        after = text[end] if end < len(text) else "\n"
        line = text.rfind("\n", max(0, position - LOOK_BACK), position) + 1
        if before in "\"'" and after == before:
            quoted = True
        elif not line and position > LOOK_BACK:  # a long line: not looked along, so each look stays short
            if before in " \t[{,:" and PLAIN_END.match(text, end):
                return None
        elif (start := PLAIN_START.fullmatch(text, line, position)) and PLAIN_END.match(text, end):
            if start.group(1) or (line and BLOCK_HEADER_LINE.search(
                    text, text.rfind("\n", max(0, line - 1 - LOOK_BACK), line - 1) + 1, line)):
                return None
            count += 1
        position = text.find(value, position + 1)
    return None if quoted and count else count


def yaml11_documents(text: str, documents: list[Any]) -> list[Any] | None:
    """ryaml's documents with the scalars YAML 1.1 reads differently read as YAML 1.1 reads them, or None when
    only a YAML 1.1 parser can tell (see the module's docstring)."""
    found = strings_at_risk(documents)
    if found is None:
        return None
    counts, floats = found
    if floats and YAML12_FLOAT_TEXT.search(text):
        return None
    readings = {}
    for value, count in counts.items():
        plain = plain_occurrences(text, value)
        if plain is None or plain not in (0, count) or (plain and "\\" in text):  # an escape spells a value
            return None  # without its letters
        if plain:
            reading = yaml11_reading(value)
            if reading is None or reading[1] is UNREADABLE:
                return None
            readings[value] = reading[1]
    return [read_as_yaml11(document, readings) for document in documents] if readings else documents


def read_as_yaml11(value: Any, readings: Mapping[str, Any]) -> Any:
    """`value` with every string of `readings` replaced by its YAML 1.1 value, keys included."""
    if isinstance(value, str):
        return readings.get(value, value)
    if isinstance(value, list):
        return [read_as_yaml11(item, readings) for item in value]
    if isinstance(value, dict):
        return {readings.get(key, key) if isinstance(key, str) else key: read_as_yaml11(item, readings)
                for key, item in value.items()}
    return value


def fast_documents(text: str) -> list[Any] | None:
    """The documents with YAML 1.1 values, from one ryaml parse; None when PyYAML must read the text."""
    documents = ryaml_documents(text)
    return None if documents is None else yaml11_documents(text, documents)


class CheckedConstructor(SafeConstructor):
    """PyYAML's safe constructor, refusing numbers JSON cannot hold and integers Python will not convert."""

    def construct_yaml_float(self, node: ScalarNode) -> float:
        """A finite float."""
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise ConstructorError(None, None, f"{node.value} is not a number JSON can hold (NaN or infinite)",
                                   node.start_mark)
        return value

    def construct_yaml_int(self, node: ScalarNode) -> int:
        """An integer of at most the digits Python converts (4300 unless configured)."""
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise ConstructorError(None, None, f"integer too long (more than {sys.get_int_max_str_digits()} "
                                   "digits)", node.start_mark) from None


CheckedConstructor.yaml_constructors = {**SafeConstructor.yaml_constructors,
                                        "tag:yaml.org,2002:float": CheckedConstructor.construct_yaml_float,
                                        "tag:yaml.org,2002:int": CheckedConstructor.construct_yaml_int}


class BoundedComposer(Composer):
    """PyYAML's composer, refusing deep nesting, alias bombs and duplicate keys, each at its place in the text.

    An alias stands for as many nodes as its anchor's node has, repeats included; a document's aliases
    together may repeat at most MAX_ALIAS_NODES.
    """

    peek_event: Callable[[], NodeEvent]  # the parser's; a node starts with a node event

    def compose_document(self) -> Node | None:
        """One document, with fresh limits."""
        self.depth = 0
        self.nodes = 0
        self.repeated = 0
        self.anchor_sizes: dict[str, int] = {}
        return super().compose_document()

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """One node, counted; an alias is counted as the nodes it repeats."""
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, AliasEvent):
            size = self.anchor_sizes.get(event.anchor or "", 0)
            self.nodes += size
            self.repeated += size
            if self.repeated > MAX_ALIAS_NODES:
                raise ComposerError(None, None, f"aliases repeat more than {MAX_ALIAS_NODES:,} nodes in this "
                                    "document (an alias bomb?)", mark)
            return super().compose_node(parent, index)
        collection = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if collection:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
        before = self.nodes
        self.nodes += 1
        node = super().compose_node(parent, index)
        if collection:
            self.depth -= 1
        if event.anchor is not None:
            self.anchor_sizes[event.anchor] = self.nodes - before
        return node

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        """A mapping whose keys are distinct (merge keys aside)."""
        node = super().compose_mapping_node(anchor)
        if len(node.value) > 1:
            seen: dict[tuple[str, str], Node] = {}
            for key, _ in node.value:
                if isinstance(key, ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    first = seen.setdefault((key.tag, key.value), key)
                    if first is not key:
                        raise ComposerError(None, None, f"duplicate key {key.value!r} (first at line "
                                            f"{first.start_mark.line + 1})", key.start_mark)
        return node


class ManifestLoader(CParser, CheckedConstructor, Resolver):
    """PyYAML's C loader for texts ryaml has read within the limits."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        CheckedConstructor.__init__(self)
        Resolver.__init__(self)


class BoundedLoader(BoundedComposer, CParser, CheckedConstructor, Resolver):
    """PyYAML with the C parser and a composer that keeps the limits (for texts ryaml did not read)."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        BoundedComposer.__init__(self)
        CheckedConstructor.__init__(self)
        Resolver.__init__(self)


def load_all(text: str) -> Iterator[Any]:
    """Every document of a YAML text, with YAML 1.1 values; raises yaml.YAMLError on invalid YAML or a limit."""
    documents = ryaml_documents(text)
    if documents is None:
        yield from pyyaml_documents(BoundedLoader(text))
        return
    read = yaml11_documents(text, documents)
    if read is None:  # ryaml found the text within the limits, without aliases
        yield from pyyaml_documents(ManifestLoader(text))
    else:
        yield from read


def pyyaml_documents(loader: BoundedLoader | ManifestLoader) -> Iterator[Any]:
    """Every document a PyYAML loader reads from its text."""
    try:
        while loader.check_data():
            yield loader.get_data()
    finally:
        loader.dispose()


def yaml_problem(error: yaml.YAMLError) -> str:
    """An invalid-YAML message naming line and column when PyYAML knows them."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {getattr(error, 'problem', None) or error}"


JSON_NUMBER_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?[0-9]+)(\.[0-9]+)?([eE][-+]?[0-9]+)?|(NaN|-?Infinity)')


JSON_KEY_OR_NESTING = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|([\[{])|[\]}]')


class DuplicateKey(ValueError):
    """An object of a JSON text names a key twice."""


def json_document(text: str, unique_keys: bool = False) -> Any:
    """The value of a JSON text; raises json.JSONDecodeError (with line and column) when it is invalid, nested
    deeper than Python's decoder goes (about 1,000 levels), holds NaN, Infinity or an integer Python will not
    convert, or (with `unique_keys`, as `kubectl apply` reads manifests) names a key twice in an object."""
    try:
        return json.loads(text, parse_constant=refuse_constant, parse_float=finite_float,
                          object_pairs_hook=unique_object if unique_keys else None)
    except RecursionError:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, too_deep_at(text)) from None
    except json.JSONDecodeError:
        raise
    except DuplicateKey:
        raise json.JSONDecodeError(*duplicate_key_at(text)) from None
    except ValueError:
        raise json.JSONDecodeError(*beyond_numbers(text)) from None


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are distinct."""
    value = dict(pairs)
    if len(value) < len(pairs):
        raise DuplicateKey()
    return value


def duplicate_key_at(text: str) -> tuple[str, str, int]:
    """(problem, text, position) of the first key a JSON object of the text names twice."""
    keys: list[set[str] | None] = []
    for match in JSON_KEY_OR_NESTING.finditer(text):
        string, colon, opening = match.groups()
        if opening:
            keys.append(set() if opening == "{" else None)
        elif string is None:
            keys.pop()
        elif colon and keys and keys[-1] is not None:
            key = json.loads(string)
            if key in keys[-1]:
                return f"duplicate key {key!r}", text, match.start()
            keys[-1].add(key)
    return "duplicate key", text, 0


def refuse_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity are not JSON; `beyond_numbers` finds where they are."""
    raise ValueError(name)


def finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent, unless it is too large for a float."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)
    return value


def too_deep_at(text: str) -> int:
    """Where a JSON text is first nested deeper than MAX_DEPTH."""
    depth = 0
    for match in JSON_KEY_OR_NESTING.finditer(text):
        string, _, opening = match.groups()
        if opening:
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif string is None:
            depth -= 1
    return 0


def beyond_numbers(text: str) -> tuple[str, str, int]:
    """(problem, text, position) of the first NaN, infinity or integer too long to convert in a JSON text."""
    digits = sys.get_int_max_str_digits()
    for match in JSON_NUMBER_OR_CONSTANT.finditer(text):
        number, fraction, exponent, constant = match.groups()
        if number and not (fraction or exponent) and len(number.lstrip("-")) > digits:
            return f"integer too long (more than {digits} digits)", text, match.start()
        if number and (fraction or exponent) and math.isinf(float(match.group(0))):
            return f"{match.group(0)} is too large for a number", text, match.start()
        if constant:
            return f"{constant} is not a number JSON can hold", text, match.start()
    return "a number Python cannot read", text, 0


class ConfigLoader(BoundedComposer, PythonParser, CheckedConstructor, Resolver):
    """YAML for segproof's own files, within the limits and without implicit timestamps: a bad date is reported
    with its key."""

    def __init__(self, stream: str) -> None:
        PythonParser.__init__(self, stream)
        BoundedComposer.__init__(self)
        CheckedConstructor.__init__(self)
        Resolver.__init__(self)


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def config_document(text: str) -> Any:
    """The document of one of segproof's own YAML files (scope, run configuration); raises yaml.YAMLError."""
    loader = ConfigLoader(text)  # a safe loader, within the limits
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


Parsed = TypeVar("Parsed")


def parse_config(text: str, file: str, kind: str, parse: Callable[[Any], Parsed],
                 error: type[ConfigError]) -> Parsed:
    """One of segproof's own YAML files, read by `parse`; invalid YAML, an empty file or a bad key raise `error`."""
    try:
        document = config_document(text)
    except yaml.YAMLError as problem:
        raise error(file, "", yaml_problem(problem)) from None
    if document is None:
        raise error(file, "", f"the file is empty (expected apiVersion: {API_VERSION}, kind: {kind}, ...)")
    try:
        return parse(document)
    except InvalidObject as problem:
        raise error(file, problem.field, problem.detail) from None


def mapping_at(value: Any, field: str, required: bool = False) -> Mapping[str, Any]:
    """`value` as a mapping; None is an empty mapping unless required."""
    if type(value) is dict:  # what parsers give: no abstract-class check
        return value
    if value is None:
        if required:
            raise InvalidObject(field, "required field is missing")
        return {}
    if not isinstance(value, Mapping):
        raise InvalidObject(field, f"must be an object, not {type_name(value)}")
    return value


def list_at(value: Any, field: str) -> list[Any]:
    """`value` as a list; None is an empty list."""
    if type(value) is list:
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidObject(field, f"must be a list, not {type_name(value)}")
    return value


def string_at(value: Any, field: str, required: bool = False) -> str:
    """`value` as a string; None is "" unless required."""
    if type(value) is str and value:
        return value
    if value is None or value == "":
        if required:
            raise InvalidObject(field, "required field is missing")
        return ""
    if not isinstance(value, str):
        raise InvalidObject(field, f"must be a string, not {type_name(value)}")
    return value


def strings_at(value: Any, field: str) -> tuple[str, ...]:
    """`value` as a list of non-empty strings, each error naming its index; None is no strings."""
    return tuple(string_at(item, f"{field}[{index}]", required=True)
                 for index, item in enumerate(list_at(value, field)))


def shown(value: str | float) -> str:
    """A scalar for a message: its repr, shortened when long (a 4,000-digit port stays one short line)."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else f"{text[:SHOWN_CHARACTERS]}..."


def type_name(value: Any) -> str:
    """What `value` is, for error messages: the value itself for scalars, else a JSON-ish type name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return shown(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "null" if value is None else type(value).__name__


def only_keys(mapping: Mapping[str, Any], allowed: set[str], field: str) -> None:
    """Reject keys the format does not define, naming the first one."""
    for key in mapping:
        if key not in allowed:
            where = f"{field}.{key}" if field else str(key)
            raise InvalidObject(where, f"unknown key (expected one of {', '.join(sorted(allowed))})")


def segproof_document(document: Any, kind: str, keys: set[str]) -> Mapping[str, Any]:
    """The top mapping of one of segproof's own files: `apiVersion: segproof/v1`, `kind`, and only `keys`."""
    top = mapping_at(document, "", required=True)
    only_keys(top, keys, "")
    if top.get("apiVersion") != API_VERSION:
        raise InvalidObject("apiVersion", f"must be {API_VERSION}, not {top.get('apiVersion')!r}")
    if top.get("kind") != kind:
        raise InvalidObject("kind", f"must be {kind}, not {top.get('kind')!r}")
    return top


def boolean_at(value: Any, field: str, default: bool) -> bool:
    """A boolean, `default` when absent."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidObject(field, "must be true or false")
    return value


def date_at(value: Any, field: str) -> datetime.date:
    """A date given as YYYY-MM-DD."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(string_at(value, field, required=True))
    except ValueError:
        raise InvalidObject(field, f"invalid date {value!r} (expected YYYY-MM-DD)") from None
