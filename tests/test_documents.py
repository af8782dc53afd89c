"""The fast YAML path gives exactly what YAML 1.1 (PyYAML) gives, or steps aside."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.documents import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    config_document,
    fast_documents,
    has_alias,
    json_document,
    load_all,
    yaml_problem,
)
from compliance.resources import resource_dir

CORPUS = os.environ.get("SEGPROOF_CONFORMANCE_DIR")


def reference(text: str) -> list:
    return list(yaml.load_all(text, Loader=yaml.SafeLoader))


def manifest_texts() -> list[Path]:
    files = sorted(resource_dir("samples").rglob("*.yaml"))
    if CORPUS and Path(CORPUS).is_dir():
        files += sorted(Path(CORPUS).rglob("*.yaml"))
    return files


@pytest.mark.parametrize("path", manifest_texts(), ids=lambda p: p.name)
def test_real_manifests_read_the_same(path: Path) -> None:
    text = path.read_text()
    assert list(load_all(text)) == reference(text)


@pytest.mark.parametrize("value", ["yes", "No", "on", "OFF", "010", "0b101", "0x1F", "0o17", "1:20", "1_000",
                                   "1e3", "2026-07-01", "2026-07-01T10:00:00Z", "<<"])
@pytest.mark.parametrize("shape", ["key: {v}\n", "items:\n  - {v}\n", "flow: [a, {v}]\n", "{v}: key\n"])
def test_yaml_11_scalars_take_the_careful_path(value: str, shape: str) -> None:
    text = shape.format(v=value)
    fast = fast_documents(text)
    assert fast is None or fast == reference(text), text
    if value != "<<":
        assert list(load_all(text)) == reference(text)


@pytest.mark.parametrize("text", ["name: web-on\n", "image: nginx:1.25\n", "cidr: 10.0.0.0/8\n",
                                  "version: v1.2.3\n", "port: 8080\n", "enabled: true\n"])
def test_ordinary_values_take_the_fast_path(text: str) -> None:
    assert fast_documents(text) is not None
    assert list(load_all(text)) == reference(text)


def test_invalid_yaml_is_reported_by_pyyaml() -> None:
    with pytest.raises(yaml.YAMLError) as error:
        list(load_all("a: [1, 2\n"))
    assert error.value.problem_mark is not None


def test_multiple_documents_and_empty_ones() -> None:
    text = "a: 1\n---\n---\nb: [x, y]\n"
    assert list(load_all(text)) == [{"a": 1}, None, {"b": ["x", "y"]}]


@pytest.mark.parametrize("text", ['port: "010"\n', 'quoted: "yes"\n', "ratio: 1.5\n", 'when: "2026-07-01"\n'])
def test_values_that_only_look_ambiguous_are_read_in_one_parse_and_right(text: str) -> None:
    assert fast_documents(text) == reference(text)
    assert list(load_all(text)) == reference(text)


AT_RISK = ["yes", "No", "on", "OFF", "010", "0644", "00", "0b101", "0x_1", "1:20", "1:30.5", "1_000", "-1_0", "1e3",
           "1.0e3", "1.0e+3", ".5e3", "+.5", "-.5", "0.5", "2026-07-01", "2026-07-01T10:00:00Z", "1.2.3", "10.0.0.1",
           "web", "true", "null", "~", "8080", "y"]
SHAPES = ["k{i}: {v}\n", "k{i}: {q}\n", "- {v}\n", "- {q}\n", "f{i}: [a, {v}, {q}]\n", "{v}: k{i}\n",
          "s{i}: |-\n  {v}\n", "s{i}: |\n  x\n  {v}\n", "c{i}: x # {v}\n", "m{i}: a\n  {v}\n", "t{i}: '{v} x'\n",
          "a{i}: &a{i} {v}\n", "g{i}: !!str {v}\n", "d{i}: \"x, {v}, y\"\n"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(AT_RISK), st.sampled_from(SHAPES), st.sampled_from("'\"")), min_size=1,
                max_size=6))
def test_one_parse_reads_every_scalar_as_yaml_11_does(parts: list[tuple[str, str, str]]) -> None:
    keys = {value for value, shape, _ in parts if shape.startswith("{v}:")}
    lines = [shape.format(i=index, v=value, q=f"{quote}{value}{quote}") for index, (value, shape, quote)
             in enumerate(parts) if not shape.startswith("{v}:") or (value in keys and not keys.discard(value))]
    sequence = [line for line in lines if line.startswith("- ")]
    text = "".join(sequence) if len(sequence) == len(lines) else "".join(
        line for line in lines if not line.startswith("- "))
    try:
        expected = reference(text)
    except yaml.YAMLError:
        return
    assert list(load_all(text)) == expected, text


# --- limits: each refused quickly, at its place, on the fast and the careful path alike -------------------

YAML_11 = "yes-please: yes\n"  # a YAML 1.1 value: the text is read by PyYAML after ryaml


def nested(depth: int) -> str:
    """A flow sequence `depth` levels deep."""
    return "x: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the top mapping is the first level


def laughs(levels: int) -> str:
    """A billion-laughs text: each anchor repeats the one before nine times."""
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, levels + 1):
        text += f"l{level}: &l{level} [" + ", ".join([f"*{'a' if level == 1 else f'l{level - 1}'}"] * 9) + "]\n"
    return text


def problem(text: str) -> str:
    """The message the reader gives for a text it refuses."""
    with pytest.raises(yaml.YAMLError) as error:
        list(load_all(text))
    return yaml_problem(error.value)


@pytest.mark.parametrize("prefix", ["", YAML_11], ids=["fast", "careful"])
def test_nesting_up_to_the_limit_is_read_and_beyond_it_refused(prefix: str) -> None:
    assert list(load_all(prefix + nested(MAX_DEPTH))) == reference(prefix + nested(MAX_DEPTH))
    line = prefix.count("\n") + 1
    assert problem(prefix + nested(MAX_DEPTH + 1)) == (
        f"invalid YAML at line {line} column {MAX_DEPTH + 3}: nested more than {MAX_DEPTH} levels deep")


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000 + "\n",
                                  "".join(" " * i + "a:\n" for i in range(2_000)),
                                  "<<: {}\n" + nested(100_000)], ids=["flow", "block", "merge-key"])
def test_deep_nesting_is_refused_without_reading_it_all(text: str) -> None:
    assert f"nested more than {MAX_DEPTH} levels deep" in problem(text)


@pytest.mark.parametrize("prefix", ["", YAML_11, "<<: {}\n"], ids=["fast", "careful", "merge-key"])
def test_an_alias_bomb_is_refused_on_every_path(prefix: str) -> None:
    assert problem(prefix + laughs(9)).endswith(
        f"aliases repeat more than {MAX_ALIAS_NODES:,} nodes in this document (an alias bomb?)")


def test_aliases_within_the_limit_are_read_as_yaml_reads_them() -> None:
    text = laughs(3) + "ports: &ports [{port: 80}]\nagain: *ports\n"
    assert list(load_all(text)) == reference(text)


def test_the_alias_budget_is_per_document() -> None:
    text = "---\n".join([laughs(4)] * 3)  # 6,561 repeats each, far below the limit
    assert len(list(load_all(text))) == 3


@pytest.mark.parametrize("text", ["*a\n", "x: *a\n", "x: [*a]\n", "{x: *a}\n", '{"x":*a}\n', "- *a\n",
                                  "\ufeff*a\n", "x:\n\t*a\n"])
def test_every_alias_is_seen(text: str) -> None:
    assert has_alias(text)


@pytest.mark.parametrize("text", ['verbs: ["*"]\n', "host: '*.example.com'\n", 'schedule: "*/5 * * * *"\n',
                                  "glob: a*b\n"])
def test_stars_in_strings_are_no_aliases(text: str) -> None:
    assert not has_alias(text)


@pytest.mark.parametrize("prefix", ["", YAML_11], ids=["fast", "careful"])
def test_duplicate_keys_are_refused(prefix: str) -> None:
    line = prefix.count("\n") + 1
    assert problem(prefix + "metadata:\n  name: a\n  name: b\n") == (
        f"invalid YAML at line {line + 2} column 3: duplicate key 'name' (first at line {line + 1})")


def test_merge_keys_may_be_overridden() -> None:
    text = "base: &base {name: a, port: 80}\nweb:\n  <<: *base\n  name: b\n"
    assert list(load_all(text)) == reference(text) == [{"base": {"name": "a", "port": 80},
                                                        "web": {"name": "b", "port": 80}}]


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1.0e+999"])
def test_nan_and_infinity_are_refused(value: str) -> None:
    assert problem(f"x: {value}\n") == (
        f"invalid YAML at line 1 column 4: {value} is not a number JSON can hold (NaN or infinite)")


@pytest.mark.parametrize("prefix", ["", YAML_11], ids=["fast", "careful"])
def test_an_integer_python_will_not_convert_is_refused(prefix: str) -> None:
    assert problem(prefix + "x: " + "9" * 5000 + "\n").endswith(
        f"integer too long (more than {sys.get_int_max_str_digits()} digits)")


def test_long_integers_are_integers_as_yaml_11_reads_them() -> None:
    text = "x: 123456789012345678901234567890123456789012345\n"
    assert list(load_all(text)) == reference(text)


def test_a_quoted_string_of_digits_beyond_128_bits_stays_a_string() -> None:
    text = 'cidr: "26404638771908161908163908164"\nport: 80\n'
    assert list(load_all(text)) == reference(text) == [{"cidr": "26404638771908161908163908164", "port": 80}]


def test_a_list_as_a_key_is_invalid_yaml() -> None:
    assert problem("labels: {[1, 2]: x}\n") == "invalid YAML at line 1 column 10: found unhashable key"


# --- JSON -----------------------------------------------------------------------------------------


def json_problem(text: str) -> str:
    """The message for a JSON text the reader refuses."""
    with pytest.raises(json.JSONDecodeError) as error:
        json_document(text)
    return f"{error.value.msg}: line {error.value.lineno} column {error.value.colno}"


@pytest.mark.parametrize(("text", "message"), [
    ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep: line 1 column {MAX_DEPTH + 1}"),
    ('{"a": "[[[",\n "b": ' + "9" * 5000 + "}",
     f"integer too long (more than {sys.get_int_max_str_digits()} digits): line 2 column 7"),
    ('{"a": "NaN", "b": NaN}', "NaN is not a number JSON can hold: line 1 column 19"),
    ('[1, -Infinity]', "-Infinity is not a number JSON can hold: line 1 column 5"),
    ('[1.5, 2e400]', "2e400 is too large for a number: line 1 column 7"),
], ids=["deep", "long-integer", "nan", "infinity", "overflow"])
def test_json_beyond_the_limits_is_refused_at_its_place(text: str, message: str) -> None:
    assert json_problem(text) == message


def test_duplicate_json_keys_are_refused_when_asked() -> None:
    text = '{"metadata": {"name": "a", "labels": [{"name": "x"}],\n "name": "b"}}'
    assert json_document(text) == {"metadata": {"name": "b", "labels": [{"name": "x"}]}}
    with pytest.raises(json.JSONDecodeError) as error:
        json_document(text, unique_keys=True)
    assert (error.value.msg, error.value.lineno, error.value.colno) == ("duplicate key 'name'", 2, 2)


def test_ordinary_json_is_read() -> None:
    assert json_document('{"a": [1, 2.5, -3e2, "NaN", null, true]}') == {"a": [1, 2.5, -300.0, "NaN", None, True]}


# --- segproof's own files -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("ticket: " + "[" * 100_000 + "]" * 100_000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
    (laughs(9).replace("a: &a", "ticket: &a"), "aliases repeat more than"),
    ("ticket: a\nticket: b\n", "duplicate key 'ticket'"),
    ("ratio: .nan\n", "not a number JSON can hold"),
], ids=["deep", "alias-bomb", "duplicate-key", "nan"])
def test_own_files_are_read_within_the_limits(text: str, message: str) -> None:
    with pytest.raises(yaml.YAMLError) as error:
        config_document(text)
    assert message in yaml_problem(error.value)


@pytest.mark.parametrize("tail", [", yes]\n", ', "yes"]\nb: yes\n', ', "yes"]\n'])
def test_values_on_long_lines_are_read_as_yaml_11_does(tail: str) -> None:
    text = "a: [" + ", ".join(["x"] * 300) + tail
    assert list(load_all(text)) == reference(text)
