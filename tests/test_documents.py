"""The fast YAML path gives exactly what YAML 1.1 (PyYAML) gives, or steps aside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from compliance.documents import fast_documents, load_all
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
def test_values_that_only_look_ambiguous_are_read_carefully_and_right(text: str) -> None:
    assert fast_documents(text) is None
    assert list(load_all(text)) == reference(text)
