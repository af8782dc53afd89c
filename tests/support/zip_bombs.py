"""Hostile zips for tests, written byte by byte: an entry that inflates a few MB to GiBs, or a great many entries.

The bomb's deflate stream repeats one fully flushed block of compressed zeros, so it is built in milliseconds
instead of compressing GiBs; its sizes and CRC are the true ones (ZIP64 records carry sizes over 4 GiB).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

CHUNK = 1 << 20


def deflated_zeros(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes (a multiple of 1 MiB) and their CRC-32."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(CHUNK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = size // CHUNK
    crc = 0
    zeros = bytes(CHUNK)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return block * count + compressor.flush(zlib.Z_FINISH), crc


def write_bomb(path: Path, name: str, inflated: int) -> None:
    """A zip holding one deflated entry `name` of `inflated` zero bytes."""
    data, crc = deflated_zeros(inflated)
    encoded = name.encode()
    zip64 = struct.pack("<HHQQ", 0x0001, 16, inflated, len(data))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(encoded), len(zip64)) + encoded + zip64
    central_extra = struct.pack("<HHQQQ", 0x0001, 24, inflated, len(data), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                          len(encoded), len(central_extra), 0, 0, 0, 0, 0xFFFFFFFF) + encoded + central_extra
    offset = len(local) + len(data)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(central), offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, offset + len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), 0xFFFFFFFF, 0)
    path.write_bytes(local + data + central + end64 + locator + end)


def write_many_entries(path: Path, count: int) -> None:
    """A zip of `count` empty stored entries."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for index in range(count):
            archive.writestr(f"pack/data/evidence/{index}.csv", b"")
