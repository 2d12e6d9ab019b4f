"""The tables ecomctl renders from a service's migrations are the tables its database has.

For every SQL service of the repository, a fresh database on the real PostgreSQL or
MariaDB is migrated by `ecomctl migrate`'s engine and reflected by SQLAlchemy; the
declarations rendered from the same scripts (what `generate` writes into the service's
adapters/schema.py) must match it table by table and column by column: names and order,
type, nullability, primary key, autoincrement and foreign keys. A migration the renderer
reads wrongly fails here, not in a running service.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from migrate_support import new_database
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import NullType
from template_src import sql_services

from ecomctl.migrate import DatabaseUrl, MigrateSettings, migrate
from ecomctl.migrate.history import DEFAULT_TABLE
from ecomctl.scaffold.schema_render import render
from ecomctl.scaffold.schema_tables import KIT_TABLES, Dialect, read_schema

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
SQL_SERVICES = sql_services()


def type_key(kind: Any, dialect: Dialect) -> str:
    """A type as both sides can say it: the family, with length, precision or zone."""
    if dialect == "mysql" and isinstance(kind, mysql.TINYINT):
        return "boolean" if kind.display_width == 1 else "smallint"  # BOOLEAN is TINYINT(1)
    checks: list[tuple[type[Any], str]] = [
        (sa.Boolean, "boolean"),
        (sa.SmallInteger, "smallint"),
        (sa.BigInteger, "bigint"),
        (sa.Integer, "integer"),
        (sa.Numeric, "numeric"),
        (sa.DateTime, "datetime"),
        (sa.Text, "text"),
        (sa.String, "string"),
        (postgresql.JSONB, "jsonb"),
        (sa.JSON, "json"),
        (NullType, "unknown"),
    ]
    family = next((name for cls, name in checks if isinstance(kind, cls)), type(kind).__name__)
    if family == "numeric":
        return f"numeric({kind.precision},{kind.scale})"
    if family == "datetime":
        return f"datetime(tz={bool(kind.timezone)})"
    if family == "string":
        return f"string({kind.length})"
    return family


def rendered(folder: Path, dialect: Dialect) -> dict[str, sa.Table]:
    namespace: dict[str, Any] = {}
    exec(compile(render(read_schema(folder, dialect), "svc"), "schema.py", "exec"), namespace)
    return dict(namespace["metadata"].tables)


def declared(table: sa.Table, dialect: Dialect) -> dict[str, Any]:
    return {
        "columns": [
            (c.name, type_key(c.type, dialect), c.nullable, c.autoincrement is True)
            for c in table.columns
        ],
        "primary_key": [c.name for c in table.primary_key.columns],
        "foreign_keys": sorted(
            (
                tuple(e.parent.name for e in fk.elements),
                fk.elements[0].column.table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        ),
    }


def reflected(inspector: sa.Inspector, name: str, dialect: Dialect) -> dict[str, Any]:
    return {
        "columns": [
            (c["name"], type_key(c["type"], dialect), c["nullable"], bool(c.get("autoincrement")))
            for c in inspector.get_columns(name)
        ],
        "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
        "foreign_keys": sorted(
            (
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
            )
            for fk in inspector.get_foreign_keys(name)
        ),
    }


def sqlalchemy_url(url: DatabaseUrl) -> str:
    driver = "postgresql+psycopg" if url.dialect == "postgresql" else "mysql+pymysql"
    return str(url).replace(f"{url.dialect}://", f"{driver}://", 1)


@pytest.mark.parametrize("service", list(SQL_SERVICES))
def test_rendered_tables_equal_the_migrated_database(service: str, request: Any) -> None:
    folder, dialect = SQL_SERVICES[service]
    server = request.getfixturevalue("postgres_url" if dialect == "postgresql" else "mysql_url")
    url = new_database(server)
    migrate(settings=MigrateSettings(url=url, locations=(folder,)))

    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)  # "did not recognize type xid8"
            inspector = sa.inspect(engine)
            names = set(inspector.get_table_names()) - KIT_TABLES - {DEFAULT_TABLE}
            database = {name: reflected(inspector, name, dialect) for name in names}
    finally:
        engine.dispose()
    declarations = {n: declared(t, dialect) for n, t in rendered(folder, dialect).items()}

    assert set(declarations) == set(database)
    for name, table in declarations.items():
        assert table == database[name], name
