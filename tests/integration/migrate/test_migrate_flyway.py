# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Interop with the real Flyway command line (Community 12), both directions.

Skipped only when the Flyway jars cannot be provisioned with mvn (see
flyway_cli.py). Undo is a Flyway Teams feature, so Flyway Community is not
asked to check UNDO_SQL rows here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flyway_cli import provision, run
from migrate_support import rows, settings, write

from ecomctl.migrate import DatabaseUrl, baseline, info, migrate, validate

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).resolve().parents[3] / "migrations"

SCRIPTS = {
    "V1__create_items.sql": "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50));\n-- Ünïcödé\n",
    "V1_1__seed_rows.sql": "INSERT INTO items VALUES (1, 'a;b');\r\nINSERT INTO items VALUES (2, '${who}');\r\n",
    "V2__add_price.sql": "\ufeffALTER TABLE items ADD COLUMN price INT;\n\n",
    "R__items_view.sql": "CREATE OR REPLACE VIEW items_view AS SELECT id, name, '${who}' AS w FROM items;\n",
}


@pytest.fixture(scope="module")
def flyway_lib() -> Iterator[Path]:
    if not shutil.which("java"):
        pytest.skip("java is not installed")
    lib, why = provision()
    if lib is None:
        pytest.skip(f"Flyway could not be provisioned: {why}")
    yield lib


def flyway(lib: Path, url: DatabaseUrl, folder: Path, *args: str) -> dict:  # type: ignore[type-arg]
    return run(lib, url.jdbc(), url.user, url.password, [folder], "-placeholders.who=me", *args)


def test_flyway_accepts_a_database_migrated_by_ecomctl(
    flyway_lib: Path, any_db: DatabaseUrl, tmp_path: Path
) -> None:
    folder = write(tmp_path, SCRIPTS)
    migrate(settings=settings(any_db, folder, placeholders={"who": "me"}))
    checked = flyway(flyway_lib, any_db, folder, "validate")
    assert checked["returncode"] == 0, checked
    shown = flyway(flyway_lib, any_db, folder, "info")
    states = [(m["version"], m["description"], m["state"]) for m in shown["migrations"]]
    assert states == [
        ("1", "create items", "Success"),
        ("1.1", "seed rows", "Success"),
        ("2", "add price", "Success"),
        ("", "items view", "Success"),
    ]
    more = flyway(
        flyway_lib,
        any_db,
        write(folder, {"V3__more.sql": "ALTER TABLE items ADD COLUMN q INT;"}),
        "migrate",
    )
    assert more["returncode"] == 0, more
    assert more["migrationsExecuted"] == 1  # Flyway continues where ecomctl stopped


def test_ecomctl_accepts_a_database_migrated_by_flyway(
    flyway_lib: Path, any_db: DatabaseUrl, tmp_path: Path
) -> None:
    folder = write(tmp_path, SCRIPTS)
    done = flyway(flyway_lib, any_db, folder, "migrate")
    assert done["returncode"] == 0, done
    s = settings(any_db, folder, placeholders={"who": "me"})
    assert validate(settings=s).problems == []
    assert all(m.state == "Success" for m in info(settings=s).migrations)
    write(folder, {"V3__more.sql": "ALTER TABLE items ADD COLUMN q INT;"})
    assert [a.version for a in migrate(settings=s).applied] == ["3"]
    assert flyway(flyway_lib, any_db, folder, "validate")["returncode"] == 0


def _table_shape(url: DatabaseUrl) -> list[tuple[object, ...]]:
    if url.dialect == "postgresql":
        return rows(
            url,
            "SELECT column_name, data_type, character_maximum_length, is_nullable, "
            "column_default FROM information_schema.columns "
            "WHERE table_name = 'flyway_schema_history' ORDER BY ordinal_position",
        )
    return rows(
        url,
        "SELECT column_name, column_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = DATABASE() "
        "AND table_name = 'flyway_schema_history' ORDER BY ordinal_position",
    )


def _indexes(url: DatabaseUrl) -> list[object]:
    if url.dialect == "postgresql":
        found = rows(
            url, "SELECT indexname FROM pg_indexes WHERE tablename = 'flyway_schema_history'"
        )
    else:
        found = rows(
            url,
            "SELECT DISTINCT index_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = 'flyway_schema_history'",
        )
    return sorted(r[0] for r in found)


def test_history_table_matches_flyway(
    flyway_lib: Path, any_db: DatabaseUrl, tmp_path: Path
) -> None:
    """Same columns, types, indexes and rows whether Flyway or ecomctl wrote them."""
    from migrate_support import new_database

    folder = write(tmp_path, SCRIPTS)
    theirs = new_database(str(any_db))
    migrate(settings=settings(any_db, folder, placeholders={"who": "me"}))
    assert flyway(flyway_lib, theirs, folder, "migrate")["returncode"] == 0
    assert _table_shape(any_db) == _table_shape(theirs) and len(_table_shape(any_db)) == 10
    assert _indexes(any_db) == _indexes(theirs)
    assert "flyway_schema_history_s_idx" in _indexes(any_db)
    columns = "installed_rank, version, description, type, script, checksum, installed_by, success"
    query = f"SELECT {columns} FROM flyway_schema_history ORDER BY installed_rank"
    assert rows(any_db, query) == rows(theirs, query)


def test_baseline_row_matches_flyway(flyway_lib: Path, any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, {"V1__x.sql": "SELECT 1;"})
    baseline(settings=settings(any_db, folder, table="ours", baseline_version="3"))
    flyway(flyway_lib, any_db, folder, "-table=theirs", "-baselineVersion=3", "baseline")
    columns = "version, description, type, script, checksum, execution_time, success"
    assert rows(any_db, f"SELECT {columns} FROM ours") == rows(
        any_db, f"SELECT {columns} FROM theirs"
    )


@pytest.mark.parametrize(
    "service", ["user-auth", "product-catalog", "inventory", "order", "payment"]
)
def test_flyway_validates_every_service_schema(
    flyway_lib: Path, postgres_url: str, mysql_url: str, service: str
) -> None:
    from migrate_support import new_database

    admin = postgres_url if service in ("order", "payment") else mysql_url
    url = new_database(admin)
    folder = SERVICES / service
    migrate(settings=settings(url, folder))
    checked = run(flyway_lib, url.jdbc(), url.user, url.password, [folder], "validate")
    assert checked["returncode"] == 0, checked
