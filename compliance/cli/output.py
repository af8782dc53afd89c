"""How commands write their results: `-o/--output FORMAT` (YAML wherever there is JSON, the same document), and
pictures that are binary kept off the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
import yaml

from compliance.errors import UsageError

# Never wrap long strings: a document's lines stay greppable and diffable, as the JSON's are.
YAML_WIDTH = 1 << 30


def output_option(*formats: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`-o/--output` among `formats` (the first is the default), with `yaml` right after `json`."""
    choices = [name for format_name in formats for name in ((format_name, "yaml") if format_name == "json"
                                                             else (format_name,))]
    return click.option("-o", "--output", type=click.Choice(choices), default=formats[0], show_default=True,
                        help="Output format.")


def echo_output(text: str, output: str) -> None:
    """Write a command's rendered result; for `-o yaml`, `text` is the JSON document, written as YAML with its keys
    in the same order."""
    click.echo(yaml_text(json.loads(text)) if output == "yaml" else text, nl=False)


def yaml_text(document: Any) -> str:
    """The document as block-style YAML (the safe dumper: plain data only), keys in their order."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=YAML_WIDTH)


def refuse_binary_on_terminal(output: str, out: str | None) -> None:
    """Refuse to write a binary picture (`-o png`) to a terminal: it needs `--out FILE` or a pipe."""
    if output == "png" and out is None and click.get_binary_stream("stdout").isatty():
        raise UsageError("-o png writes binary data, not to a terminal",
                         hint="pass --out FILE, or redirect stdout to a file or a pipe")
