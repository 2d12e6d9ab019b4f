"""Checksums exactly as Flyway computes them.

Flyway reads a script line by line (Java ``BufferedReader``: ``\\n``, ``\\r``
and ``\\r\\n`` all end a line), drops a byte-order mark from the first line
and feeds each line's UTF-8 bytes, without its terminator, to one CRC32. The
stored value is the CRC as a signed 32-bit integer. Line endings therefore do
not change a checksum; verified against Flyway 12 on LF, CRLF, BOM and
non-ASCII files (tests/integration/migrate).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


def lines_of(text: str) -> list[str]:
    """Lines as BufferedReader.readLine returns them (no empty line after a final break)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def checksum_text(text: str) -> int:
    crc = 0
    for index, line in enumerate(lines_of(text)):
        if index == 0 and line.startswith(_BOM):
            line = line[1:]
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= (1 << 31) else crc


def read_script(path: Path, encoding: str = "utf-8") -> str:
    """A script's text without a BOM; undecodable bytes become U+FFFD as in Java."""
    return path.read_bytes().decode(encoding, errors="replace").removeprefix(_BOM)


def checksum_file(path: Path, encoding: str = "utf-8") -> int:
    return checksum_text(read_script(path, encoding))
