"""Finding the migration scripts in the configured locations.

Locations are folders (a Flyway ``filesystem:`` prefix is accepted and
dropped), searched recursively as Flyway searches them. Two scripts with the
same version, or two repeatables with the same description, are an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ecomctl.errors import UsageError
from ecomctl.migrate.checksum import checksum_text, read_script
from ecomctl.migrate.naming import ScriptKind, ScriptName, parse_name
from ecomctl.migrate.version import MigrationVersion


@dataclass(frozen=True)
class ResolvedScript:
    name: ScriptName
    path: Path
    text: str
    checksum: int  # of the raw file; repeatables use the replaced text (see engine)

    @property
    def kind(self) -> ScriptKind:
        return self.name.kind

    @property
    def version(self) -> MigrationVersion | None:
        return self.name.version

    @property
    def description(self) -> str:
        return self.name.description

    @property
    def script(self) -> str:
        """What the history's ``script`` column holds: the path below the location."""
        return self.name.filename


@dataclass(frozen=True)
class Resolved:
    versioned: list[ResolvedScript]  # ascending version
    undo: dict[MigrationVersion, ResolvedScript]
    repeatable: list[ResolvedScript]  # by description
    skipped: list[Path]  # .sql files that are not migrations by name


def location_path(location: str | Path) -> Path:
    text = str(location)
    if text.startswith("classpath:"):
        raise UsageError(f"{text}: classpath locations are Java-only; give the folder instead")
    return Path(text.removeprefix("filesystem:")).expanduser()


def scan(locations: list[str] | list[Path], *, encoding: str = "utf-8") -> Resolved:
    versioned: dict[MigrationVersion, ResolvedScript] = {}
    undo: dict[MigrationVersion, ResolvedScript] = {}
    repeatable: dict[str, ResolvedScript] = {}
    skipped: list[Path] = []
    for location in locations:
        folder = location_path(location)
        if not folder.is_dir():
            raise UsageError(f"migration location {folder} is not a folder")
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            name = parse_name(path.name)
            if name is None:
                if path.suffix.lower() == ".sql":
                    skipped.append(path)
                continue
            text = read_script(path, encoding)
            found = ResolvedScript(name, path, text, checksum_text(text))
            _add(found, versioned, undo, repeatable)
    return Resolved(
        versioned=[versioned[v] for v in sorted(versioned)],
        undo=undo,
        repeatable=[repeatable[d] for d in sorted(repeatable)],
        skipped=skipped,
    )


def _add(
    found: ResolvedScript,
    versioned: dict[MigrationVersion, ResolvedScript],
    undo: dict[MigrationVersion, ResolvedScript],
    repeatable: dict[str, ResolvedScript],
) -> None:
    if found.kind is ScriptKind.REPEATABLE:
        key_r = found.description
        if key_r in repeatable:
            raise _duplicate(f"repeatable migration '{key_r}'", repeatable[key_r], found)
        repeatable[key_r] = found
        return
    assert found.version is not None
    target = versioned if found.kind is ScriptKind.VERSIONED else undo
    if found.version in target:
        raise _duplicate(f"version {found.version}", target[found.version], found)
    target[found.version] = found


def _duplicate(what: str, first: ResolvedScript, second: ResolvedScript) -> UsageError:
    return UsageError(f"found more than one migration with {what}: {first.path} and {second.path}")
