"""Object names, label keys and label values, validated as the Kubernetes API server validates them.

A Namespace name is a DNS-1123 label, a Service name a DNS-1035 label, other names (pods, workloads,
nodes, policies) DNS-1123 subdomains. A label key is an optional DNS-1123 subdomain prefix and `/`,
then a name of at most 63 characters; a label value is such a name or empty.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from compliance.documents import shown
from compliance.errors import InvalidObject


@dataclass(frozen=True)
class NameRule:
    """What a kind of name must look like: a pattern that holds its length too (one C call per name)."""

    pattern: re.Pattern[str]
    description: str

    def valid(self, value: str) -> bool:
        """Whether `value` follows the rule."""
        return self.pattern.fullmatch(value) is not None


DNS_LABEL = NameRule(re.compile(r"(?=.{1,63}\Z)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?", re.DOTALL),
                     "a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a "
                     "letter or digit")
DNS_SUBDOMAIN = NameRule(re.compile(r"(?=.{1,253}\Z)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*"
                                    r"[a-z0-9])?)*", re.DOTALL),
                         "a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', each part "
                         "between dots starting and ending with a letter or digit")
DNS_1035_LABEL = NameRule(re.compile(r"(?=.{1,63}\Z)[a-z](?:[-a-z0-9]*[a-z0-9])?", re.DOTALL),
                          "a DNS-1035 label: at most 63 lowercase letters, digits or '-', starting with a letter "
                          "and ending with a letter or digit")
LABEL_NAME = NameRule(re.compile(r"(?=.{1,63}\Z)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?", re.DOTALL), "")
LABEL_KEY_RULE = ("an optional DNS-1123 subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', "
                  "starting and ending with a letter or digit")
LABEL_VALUE_RULE = "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty"


def check_name(value: str, field: str, rule: NameRule) -> str:
    """`value` when it is a valid name under `rule`."""
    if rule.pattern.fullmatch(value) is None:
        raise InvalidObject(field, f"invalid name {shown(value)} (must be {rule.description})")
    return value


@functools.lru_cache(maxsize=1 << 16)  # every object of a namespace names it
def valid_namespace(value: str) -> bool:
    """Whether `value` is a namespace name."""
    return DNS_LABEL.valid(value)


def check_namespace(value: str, field: str) -> str:
    """`value` when it is a valid namespace name."""
    return value if valid_namespace(value) else check_name(value, field, DNS_LABEL)


@functools.lru_cache(maxsize=1 << 16)  # clusters repeat a few keys and values on every pod
def valid_label_key(key: str) -> bool:
    """Whether `key` is a label key: [prefix/]name."""
    prefix, slash, name = key.rpartition("/")
    if slash and not DNS_SUBDOMAIN.valid(prefix):
        return False
    return LABEL_NAME.valid(name)


@functools.lru_cache(maxsize=1 << 16)
def valid_label_value(value: str) -> bool:
    """Whether `value` is a label value."""
    return value == "" or LABEL_NAME.valid(value)


@functools.lru_cache(maxsize=1 << 16)  # a cluster's labels repeat: app=web on every replica
def valid_label(key: str, value: str) -> bool:
    """Whether `key: value` is a label the API server accepts."""
    return valid_label_key(key) and valid_label_value(value)


def check_label_key(key: str, field: str) -> None:
    """Refuse a label key (or a selector's key) the API server would refuse."""
    if not valid_label_key(key):
        raise InvalidObject(field, f"invalid label key {shown(key)} (must be {LABEL_KEY_RULE})")


def check_label_value(value: str, field: str) -> None:
    """Refuse a label value (or a selector's value) the API server would refuse."""
    if not valid_label_value(value):
        raise InvalidObject(field, f"invalid label value {shown(value)} (must be {LABEL_VALUE_RULE})")


def check_label(key: str, value: str, field: str) -> None:
    """Refuse a label of the labels at `field` that the API server would refuse."""
    check_label_key(key, field)
    check_label_value(value, f"{field}.{key}")
