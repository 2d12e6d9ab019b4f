"""A template's src/ as a generated service has it, for tests that run the template's code.

The templates carry no adapters/schema.py: ecomctl renders it from the migrations when it
generates a service. A test that imports or starts a template's code in place gets a copy
of its src/ (once per test session) with that file rendered the same way.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from ecomctl.scaffold.schema_render import SCHEMA_MODULE, dialect_for, write_schema
from ecomctl.scaffold.schema_tables import Dialect
from ecomctl.scaffold.templates import available_kinds

REPO = Path(__file__).resolve().parents[2]


def migration_folder(kind: str) -> Path:
    """The template's db/migration once the migrations moved there, else migrations/<kind>."""
    moved = REPO / "templates" / kind / "template" / "db" / "migration"
    return moved if moved.is_dir() else REPO / "migrations" / kind


def sql_services() -> dict[str, tuple[Path, Dialect]]:
    """Every template kind with SQL migrations: where they are, and the database's dialect."""
    found = {}
    for kind in available_kinds(REPO / "templates"):
        dialect = dialect_for(kind, [])
        if dialect is not None and migration_folder(kind).is_dir():
            found[kind] = (migration_folder(kind), dialect)
    return found


@functools.cache
def template_src(kind: str) -> Path:
    """templates/<kind>/template/src, copied, with the schema ecomctl would render into it."""
    scratch = Path(tempfile.mkdtemp(prefix=f"src-{kind}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    src = scratch / "src"
    shutil.copytree(
        REPO / "templates" / kind / "template" / "src",
        src,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    package = src / kind.replace("-", "_")
    dialect = dialect_for(kind, [])
    if dialect is not None and (package / "adapters").is_dir():
        write_schema(migration_folder(kind), package / SCHEMA_MODULE, dialect, kind)
    return src
