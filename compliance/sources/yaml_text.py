"""YAML documents, read fast where that is safe.

Kubernetes reads manifests as YAML 1.1 (what PyYAML implements). ryaml, a YAML 1.2 parser written
in Rust, is about fifteen times faster, and gives the same values unless a plain (unquoted) scalar
is one YAML 1.1 reads differently: yes/no/on/off, leading-zero octals, 0b/0o/0x forms, sexagesimal
numbers, underscores in numbers, exponents without a dot, timestamps, merge keys. Texts holding
any of these, and texts ryaml rejects, are read with PyYAML, whose messages name line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML11_SCALAR = (r"(?:[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|[-+]?0[0-9_]+|[-+]?0[boxBOX][0-9a-fA-F_]+"
                 r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?[0-9][0-9_.]*[eE][-+]?[0-9]+"
                 r"|[-+]?[0-9]+_[0-9_]*(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t][^#\n]*)?|<<|=)")
AMBIGUOUS = re.compile(rf"(?:^[ \t]*(?:-[ \t]+)*|:[ \t]+|[\[,{{][ \t]*){YAML11_SCALAR}[ \t]*(?:$|[,\]}}:#])",
                       re.MULTILINE)


def load_all(text: str) -> Iterator[Any]:
    """Every document of a YAML text, with YAML 1.1 values; raises yaml.YAMLError on invalid YAML."""
    if not AMBIGUOUS.search(text):
        import ryaml

        try:
            documents = ryaml.loads_all(text)
        except ryaml.InvalidYamlError:
            pass
        else:
            yield from documents
            return
    yield from yaml.load_all(text, Loader=YAML_LOADER)
