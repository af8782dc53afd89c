"""Reading documents: YAML texts (Kubernetes manifests with YAML 1.1 values, segproof's own files with located
errors), and the typed fields of parsed documents, each error naming the field.

Kubernetes reads manifests as YAML 1.1 (what PyYAML implements). ryaml, a YAML 1.2 parser written
in Rust, is many times faster and gives the same values unless a plain scalar is one YAML 1.1 reads
differently: yes/no/on/off, leading-zero or 0b/0o numbers, sexagesimal numbers, underscores in
numbers, exponents without a dot, timestamps, merge keys. ryaml's result is therefore only used when
no string in it looks like one of those (quoted or not), no float appears, and the text holds no 0o
number or merge key; otherwise PyYAML reads the text, and its messages name line and column.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import yaml

from compliance.errors import ConfigError, InvalidObject

API_VERSION = "segproof/v1"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML11_STRING = re.compile(r"[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|[-+]?0[0-9_]+|[-+]?0[bBoO][0-7_]+"
                           r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?[0-9][0-9_.]*[eE][-+]?[0-9]+"
                           r"|[-+]?[0-9]+_[0-9_]*(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t].*)?|=",
                           re.DOTALL)
YAML11_FIRST = frozenset("yYnNoO0123456789+-=")
YAML12_ONLY_TEXT = re.compile(r"0[oO][0-7]|<<")


def reads_differently(value: Any) -> bool:
    """Whether YAML 1.1 might read the scalars behind this YAML 1.2 value differently."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if item and item[0] in YAML11_FIRST and YAML11_STRING.fullmatch(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float):
            return True
    return False


def fast_documents(text: str) -> list[Any] | None:
    """The documents as ryaml reads them, or None when YAML 1.1 could read them differently (or ryaml fails)."""
    if YAML12_ONLY_TEXT.search(text):
        return None
    import ryaml

    try:
        documents = ryaml.loads_all(text)
    except ryaml.InvalidYamlError:
        return None
    return None if reads_differently(documents) else documents


def load_all(text: str) -> Iterator[Any]:
    """Every document of a YAML text, with YAML 1.1 values; raises yaml.YAMLError on invalid YAML."""
    documents = fast_documents(text)
    if documents is not None:
        yield from documents
        return
    yield from yaml.load_all(text, Loader=YAML_LOADER)


def yaml_problem(error: yaml.YAMLError) -> str:
    """An invalid-YAML message naming line and column when PyYAML knows them."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {getattr(error, 'problem', None) or error}"


class ConfigLoader(yaml.SafeLoader):
    """YAML for segproof's own files, without implicit timestamps: a bad date is reported with its key."""


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def config_document(text: str) -> Any:
    """The document of one of segproof's own YAML files (scope, run configuration); raises yaml.YAMLError."""
    return yaml.load(text, Loader=ConfigLoader)  # a SafeLoader


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
    if value is None:
        if required:
            raise InvalidObject(field, "required field is missing")
        return {}
    if not isinstance(value, Mapping):
        raise InvalidObject(field, f"must be an object, not {type_name(value)}")
    return value


def list_at(value: Any, field: str) -> list[Any]:
    """`value` as a list; None is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidObject(field, f"must be a list, not {type_name(value)}")
    return value


def string_at(value: Any, field: str, required: bool = False) -> str:
    """`value` as a string; None is "" unless required."""
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


def type_name(value: Any) -> str:
    """What `value` is, for error messages: the value itself for scalars, else a JSON-ish type name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
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
