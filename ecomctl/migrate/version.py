"""Migration versions compared the way Flyway compares them.

Flyway splits a version on dots (underscores in file names count as dots),
compares the parts as unbounded integers and ignores trailing zero parts, so
``1.10 > 1.9`` and ``2 == 2.0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import total_ordering

from ecomctl.errors import UsageError

_VALID = re.compile(r"^\d+(\.\d+)*$")


@total_ordering
@dataclass(frozen=True, eq=False)
class MigrationVersion:
    """A parsed version; ``text`` is how it is shown and stored (dots, as given)."""

    text: str
    parts: tuple[int, ...] = field(repr=False)

    @classmethod
    def parse(cls, raw: str) -> MigrationVersion:
        text = raw.replace("_", ".")
        if not _VALID.match(text):
            raise UsageError(f"invalid migration version {raw!r}: use digits separated by . or _")
        parts = [int(p) for p in text.split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return cls(text=text, parts=tuple(parts))

    def _key(self) -> tuple[int, ...]:
        return self.parts

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MigrationVersion):
            return NotImplemented
        return self.parts == other.parts

    def __lt__(self, other: MigrationVersion) -> bool:
        # Trailing zeros are already stripped, so tuple order is Flyway's order
        # except when one is a prefix of the other, which tuples also get right.
        return self.parts < other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __str__(self) -> str:
        return self.text
