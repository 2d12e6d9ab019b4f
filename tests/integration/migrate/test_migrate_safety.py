# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Failures (rolled back on PostgreSQL, recorded on MySQL) and five concurrent runs."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from migrate_support import rows, settings, write

from ecomctl.migrate import DatabaseUrl, MigrationFailed, ValidationFailed, migrate, repair

pytestmark = pytest.mark.integration

FAILING = {
    "V1__ok.sql": "CREATE TABLE a (id INT);\n",
    "V2__broken.sql": "CREATE TABLE b (id INT);\nINSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (1);\n",
}


def test_postgres_failure_rolls_back_and_records_nothing(
    pg_db: DatabaseUrl, tmp_path: Path
) -> None:
    folder = write(tmp_path, FAILING)
    with pytest.raises(MigrationFailed) as failed:
        migrate(settings=settings(pg_db, folder))
    message = str(failed.value)
    assert "V2__broken.sql" in message and "line 3" in message
    assert "INSERT INTO nowhere" in message and 'relation "nowhere" does not exist' in message
    assert not failed.value.recorded
    assert rows(pg_db, "SELECT version, success FROM flyway_schema_history") == [("1", True)]
    assert rows(pg_db, "SELECT to_regclass('b') IS NULL")[0][0]  # CREATE TABLE b rolled back
    assert rows(pg_db, "SELECT COUNT(*) FROM a")[0][0] == 0


def test_mysql_failure_is_recorded_and_repaired(my_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, FAILING)
    with pytest.raises(MigrationFailed) as failed:
        migrate(settings=settings(my_db, folder))
    assert failed.value.recorded
    assert "V2__broken.sql" in str(failed.value) and "nowhere" in str(failed.value)
    assert rows(
        my_db, "SELECT version, success FROM flyway_schema_history ORDER BY installed_rank"
    ) == [
        ("1", 1),
        ("2", 0),
    ]
    with pytest.raises(ValidationFailed, match="failed migration to version 2"):
        migrate(settings=settings(my_db, folder))
    assert repair(settings=settings(my_db, folder)).removed_failed == 1
    rows(my_db, "SELECT 1")
    write(
        folder,
        {"V2__broken.sql": "CREATE TABLE IF NOT EXISTS b (id INT);\nINSERT INTO a VALUES (1);\n"},
    )
    assert [a.version for a in migrate(settings=settings(my_db, folder)).applied] == ["2"]


def _run(url: DatabaseUrl, folder: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        result = migrate(settings=settings(url, Path(folder)))
        queue.put([a.script for a in result.applied])
    except Exception as error:
        queue.put(f"error: {error}")


def test_five_concurrent_runs_apply_each_migration_once(
    any_db: DatabaseUrl, tmp_path: Path
) -> None:
    files = {"V1__t.sql": "CREATE TABLE hits (n INT);\n"}
    files |= {f"V1_{i}__hit_{i}.sql": f"INSERT INTO hits VALUES ({i});\n" for i in range(1, 30)}
    folder = write(tmp_path, files)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_run, args=(any_db, str(folder), queue)) for _ in range(5)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert not [r for r in results if isinstance(r, str)], results
    applied = [script for r in results for script in r]
    assert sorted(applied) == sorted(files)  # every script exactly once across the five
    assert rows(any_db, "SELECT COUNT(*), COUNT(DISTINCT n) FROM hits")[0] == (29, 29)
    assert rows(any_db, "SELECT COUNT(*) FROM flyway_schema_history")[0][0] == 30
