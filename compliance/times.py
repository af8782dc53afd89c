"""Times in segproof's outputs: RFC 3339 in UTC with a `Z`, to the second."""

from __future__ import annotations

import datetime

from compliance.errors import InvalidValue


def parse_utc(text: str, field: str = "time") -> datetime.datetime:
    """The aware UTC datetime an RFC 3339 timestamp names; a time without an offset is taken as UTC."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (AttributeError, ValueError):
        raise InvalidValue(f"{field}: invalid time {text!r}", hint="use RFC 3339, e.g. 2026-09-30T12:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def format_utc(moment: datetime.datetime) -> str:
    """`2026-09-30T12:00:00Z`: the canonical form of a moment, to the second."""
    utc = moment.astimezone(datetime.timezone.utc).replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")


def canonical_utc(text: str, field: str = "time") -> str:
    """An RFC 3339 timestamp rewritten in the canonical form of `format_utc`."""
    return format_utc(parse_utc(text, field))


def compact_utc(text: str, field: str = "time") -> str:
    """`20260930T120000Z`: the canonical form without separators, for names that sort by time."""
    return canonical_utc(text, field).replace("-", "").replace(":", "")


def current_utc() -> str:
    """The current time in the canonical form."""
    return format_utc(datetime.datetime.now(datetime.timezone.utc))
