# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Every subcommand against real PostgreSQL and MariaDB."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrate_support import execute, rows, settings, write

from ecomctl.errors import UserError
from ecomctl.migrate import (
    DatabaseUrl,
    ValidationFailed,
    baseline,
    clean,
    info,
    migrate,
    repair,
    undo,
    validate,
)

pytestmark = pytest.mark.integration

BASIC = {
    "V1__create_items.sql": "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50));\n",
    "V1_1__seed.sql": "INSERT INTO items VALUES (1, 'semi;colon');\nINSERT INTO items VALUES (2, 'b');\n",
    "V2__add_price.sql": "ALTER TABLE items ADD COLUMN price INT;\n",
    "U2__add_price.sql": "ALTER TABLE items DROP COLUMN price;\n",
    "R__items_view.sql": "CREATE OR REPLACE VIEW items_view AS SELECT id, name FROM items;\n",
}


def history(url: DatabaseUrl) -> list[tuple[object, ...]]:
    return rows(
        url,
        "SELECT installed_rank, version, description, type, script, checksum, success "
        "FROM flyway_schema_history ORDER BY installed_rank",
    )


def test_migrate_info_validate(any_db: DatabaseUrl, tmp_path: Path) -> None:
    s = settings(any_db, write(tmp_path, BASIC))
    result = migrate(settings=s)
    assert [a.version for a in result.applied] == ["1", "1.1", "2", None]
    assert result.target_version == "2"
    recorded = history(any_db)
    assert [(r[1], r[2], r[3], r[4]) for r in recorded] == [
        ("1", "create items", "SQL", "V1__create_items.sql"),
        ("1.1", "seed", "SQL", "V1_1__seed.sql"),
        ("2", "add price", "SQL", "V2__add_price.sql"),
        (None, "items view", "SQL", "R__items_view.sql"),
    ]
    assert all(bool(r[6]) for r in recorded)
    states = [(m.version, m.state) for m in info(settings=s).migrations]
    assert states == [("1", "Success"), ("1.1", "Success"), ("2", "Success"), (None, "Success")]
    assert validate(settings=s).problems == []
    assert migrate(settings=s).applied == []  # idempotent
    assert rows(any_db, "SELECT COUNT(*) FROM items_view")[0][0] == 2


def test_dry_run_changes_nothing(any_db: DatabaseUrl, tmp_path: Path) -> None:
    s = settings(any_db, write(tmp_path, BASIC))
    result = migrate(settings=s, dry_run=True)
    assert "-- V1__create_items.sql" in result.sql
    assert any("semi;colon" in line for line in result.sql)
    tables = info(settings=s)
    assert all(m.state == "Pending" for m in tables.migrations)
    assert migrate(settings=s, dry_run=True).sql == result.sql


def test_target_stops_at_version(any_db: DatabaseUrl, tmp_path: Path) -> None:
    s = settings(any_db, write(tmp_path, BASIC), target="1.1")
    result = migrate(settings=s)
    assert [a.version for a in result.applied] == ["1", "1.1", None]
    assert [m.state for m in info(settings=s).migrations if m.version == "2"] == ["Above Target"]


def test_validate_lists_each_problem(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, BASIC)
    s = settings(any_db, folder)
    migrate(settings=s)
    (folder / "V1__create_items.sql").write_text("CREATE TABLE items (id INT);\n")  # drift
    (folder / "V2__add_price.sql").unlink()  # missing
    (folder / "U2__add_price.sql").unlink()
    (folder / "V1_5__late.sql").write_text("SELECT 1;\n")  # older than current, no out-of-order
    write(folder, {"V3__new.sql": "SELECT 1;\n"})
    with pytest.raises(ValidationFailed) as failed:
        validate(settings=s)
    problems = failed.value.result.problems
    assert any("checksum mismatch" in p and "version 1 " in p for p in problems)
    assert any("not resolved locally: 2" in p for p in problems)
    assert any("1.5" in p and "out-of-order" in p for p in problems)
    with pytest.raises(ValidationFailed) as on_migrate:
        migrate(settings=s)
    assert len(on_migrate.value.result.problems) == 3
    assert "3" not in [r[1] for r in history(any_db)]


def test_out_of_order(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, BASIC)
    migrate(settings=settings(any_db, folder))
    write(folder, {"V1_5__late.sql": "INSERT INTO items (id, name) VALUES (3, 'late');\n"})
    with pytest.raises(ValidationFailed):
        migrate(settings=settings(any_db, folder))
    result = migrate(settings=settings(any_db, folder, out_of_order=True))
    assert [(a.version, a.out_of_order) for a in result.applied] == [("1.5", True)]
    states = {m.version: m.state for m in info(settings=settings(any_db, folder)).migrations}
    assert states["1.5"] == "Out of Order"


def test_placeholders_and_repeatable_rerun(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        {
            "V1__t.sql": "CREATE TABLE t (k VARCHAR(40), v VARCHAR(200));\n"
            "INSERT INTO t VALUES ('who', '${who}');\n"
            "INSERT INTO t VALUES ('table', '${flyway:table}');\n"
            "INSERT INTO t VALUES ('file', '${flyway:filename}');\n"
            "INSERT INTO t VALUES ('escaped', '$${who}');\n",
            "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT '${who}' AS w;\n",
        },
    )
    migrate(settings=settings(any_db, folder, placeholders={"who": "alice"}))
    values = dict(rows(any_db, "SELECT k, v FROM t"))
    assert values == {
        "who": "alice",
        "table": "flyway_schema_history",
        "file": "V1__t.sql",
        "escaped": "$${who}",
    }
    again = migrate(settings=settings(any_db, folder, placeholders={"who": "bob"}))
    assert [a.description for a in again.applied] == ["v"]  # new value, new checksum: re-run
    assert rows(any_db, "SELECT w FROM v")[0][0] == "bob"
    with pytest.raises(UserError, match="no value provided for placeholder"):
        write(folder, {"V9__x.sql": "SELECT '${nope}';"})
        migrate(settings=settings(any_db, folder, placeholders={"who": "bob"}))


def test_baseline_and_baseline_on_migrate(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path / "main", BASIC)
    s = settings(any_db, folder)
    migrate(
        settings=settings(
            any_db,
            write(
                tmp_path / "pre", {"V1__x.sql": "CREATE TABLE items (id INT, name VARCHAR(50));"}
            ),
            table="other_history",
        )
    )
    with pytest.raises(UserError, match="non-empty schema"):
        migrate(settings=s)
    result = migrate(
        settings=settings(any_db, folder, baseline_on_migrate=True, baseline_version="1.1")
    )
    assert result.baselined
    assert [a.version for a in result.applied] == ["2", None]
    first = history(any_db)[0]
    assert first[1:5] == ("1.1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>")
    assert first[5] is None
    states = {m.version: m.state for m in info(settings=s).migrations if m.version}
    assert states == {"1.1": "Baseline", "1": "Below Baseline", "2": "Success"}


def test_explicit_baseline(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, BASIC)
    result = baseline(settings=settings(any_db, folder, baseline_version="1.1"))
    assert result.version == "1.1"
    execute(any_db, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50))")
    applied = migrate(settings=settings(any_db, folder)).applied
    assert [a.version for a in applied] == ["2", None]
    with pytest.raises(UserError, match="cannot baseline"):
        baseline(settings=settings(any_db, folder, baseline_version="5"))


def test_undo_round_trip(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, BASIC)
    s = settings(any_db, folder)
    migrate(settings=s)
    done = undo(settings=s)
    assert [(u.version, u.type) for u in done.undone] == [("2", "UNDO_SQL")]
    last = history(any_db)[-1]
    assert last[1:5] == ("2", "add price", "UNDO_SQL", "U2__add_price.sql")
    states = [(m.version, m.type, m.state) for m in info(settings=s).migrations if m.version == "2"]
    assert ("2", "SQL", "Undone") in states and ("2", "SQL", "Pending") in states
    assert [a.version for a in migrate(settings=s).applied] == ["2"]
    rows(any_db, "SELECT price FROM items")
    with pytest.raises(UserError, match="no undo script"):
        undo(settings=settings(any_db, folder, target="0"))
    validate(settings=s)  # the refused undo ran nothing


def test_clean_needs_enabling(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, BASIC)
    migrate(settings=settings(any_db, folder))
    with pytest.raises(UserError, match="clean is disabled"):
        clean(settings=settings(any_db, folder))
    result = clean(settings=settings(any_db, folder, clean_enabled=True))
    assert result.dropped
    assert [a.version for a in migrate(settings=settings(any_db, folder)).applied][:1] == ["1"]


def test_repair_realigns_and_marks_missing(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, BASIC)
    s = settings(any_db, folder)
    migrate(settings=s)
    (folder / "V1__create_items.sql").write_text(
        "-- reformatted\nCREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50));\n"
    )
    (folder / "V1_1__seed.sql").unlink()
    result = repair(settings=s)
    assert result.realigned == ["1"] and result.marked_deleted == ["1.1"]
    validate(settings=s)


def test_two_hundred_migrations(any_db: DatabaseUrl, tmp_path: Path) -> None:
    files = {"V1__t.sql": "CREATE TABLE counter (n INT);\nINSERT INTO counter VALUES (0);\n"}
    files |= {f"V1_{i}__step_{i}.sql": "UPDATE counter SET n = n + 1;\n" for i in range(1, 200)}
    s = settings(any_db, write(tmp_path, files))
    result = migrate(settings=s)
    assert len(result.applied) == 200
    assert result.target_version == "1.199"
    assert [a.version for a in result.applied][:3] == ["1", "1.1", "1.2"]
    assert [a.version for a in result.applied][-2:] == ["1.198", "1.199"]  # 1.10 after 1.9
    assert rows(any_db, "SELECT n FROM counter")[0][0] == 199
    assert rows(any_db, "SELECT COUNT(*) FROM flyway_schema_history")[0][0] == 200
