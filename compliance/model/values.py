"""Small value types shared by every layer."""

from __future__ import annotations

import enum


class TextEnum(str, enum.Enum):
    """A string-valued enum that compares, hashes, prints and serialises (JSON, CSV) as its value."""

    def __str__(self) -> str:
        return str(self.value)
