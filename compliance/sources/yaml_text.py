"""YAML documents, read fast where that is safe.

Kubernetes reads manifests as YAML 1.1 (what PyYAML implements). ryaml, a YAML 1.2 parser written
in Rust, is many times faster and gives the same values unless a plain scalar is one YAML 1.1 reads
differently: yes/no/on/off, leading-zero or 0b/0o numbers, sexagesimal numbers, underscores in
numbers, exponents without a dot, timestamps, merge keys. ryaml's result is therefore only used when
no string in it looks like one of those (quoted or not), no float appears, and the text holds no 0o
number or merge key; otherwise PyYAML reads the text, and its messages name line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import yaml

from compliance.errors import ConfigError, InvalidObject

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
        raise error(file, "", f"the file is empty (expected apiVersion: segproof/v1, kind: {kind}, ...)")
    try:
        return parse(document)
    except InvalidObject as problem:
        raise error(file, problem.field, problem.detail) from None
