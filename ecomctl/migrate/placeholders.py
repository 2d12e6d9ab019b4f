"""``${name}`` placeholders, replaced the way Flyway replaces them.

Verified against Flyway 12: names match case-insensitively, ``$${name}`` is
left exactly as written (the escape), a name without a value is an error,
and replacement happens everywhere in the script, dollar-quoted bodies
included. Flyway's built-ins live under ``flyway:`` (see `flyway_defaults`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ecomctl.errors import UsageError

DEFAULT_PREFIX = "${"
DEFAULT_SUFFIX = "}"


def flyway_defaults(
    *, schema: str, user: str, database: str, table: str, working_directory: Path | None = None
) -> dict[str, str]:
    """The built-in placeholders (``filename`` is set per script)."""
    return {
        "flyway:defaultschema": schema,
        "flyway:user": user,
        "flyway:database": database,
        "flyway:timestamp": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "flyway:workingdirectory": str(working_directory or Path.cwd()),
        "flyway:table": table,
    }


@dataclass(frozen=True)
class Placeholders:
    values: Mapping[str, str] = field(default_factory=dict)
    prefix: str = DEFAULT_PREFIX
    suffix: str = DEFAULT_SUFFIX
    enabled: bool = True

    def _pattern(self) -> re.Pattern[str]:
        escape = re.escape(self.prefix[0]) if self.prefix else ""
        # The escape is the prefix's first character written twice (``$${x}``).
        return re.compile(
            rf"(?P<escaped>{escape})?{re.escape(self.prefix)}(?P<name>\S+?){re.escape(self.suffix)}"
        )

    def replace(self, text: str, *, filename: str, script: str = "") -> str:
        if not self.enabled:
            return text
        lookup = {key.lower(): value for key, value in self.values.items()}
        lookup["flyway:filename"] = filename

        def substitute(match: re.Match[str]) -> str:
            if match.group("escaped"):
                return match.group(0)
            name = match.group("name")
            value = lookup.get(name.lower())
            if value is None:
                where = f" in {script}" if script else ""
                raise UsageError(
                    f"no value provided for placeholder {self.prefix}{name}{self.suffix}{where}",
                    hint=f"pass --placeholder {name}=VALUE, or escape it as "
                    f"{self.prefix[:1]}{self.prefix}{name}{self.suffix}",
                )
            return value

        return self._pattern().sub(substitute, text)
