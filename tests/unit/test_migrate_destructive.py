# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Destructive-statement detection (expand/contract), both dialects, with property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomctl.migrate.destructive import Kind, find_destructive
from ecomctl.migrate.url import Dialect

BOTH: list[Dialect] = ["postgresql", "mysql"]

# (dialect(s), statement, kind, what) — each must be found on its own.
# fmt: off
DESTRUCTIVE: list[tuple[tuple[Dialect, ...], str, Kind, str]] = [
    (("postgresql", "mysql"), "DROP TABLE orders", Kind.DROP, "DROP TABLE"),
    (("postgresql", "mysql"), "DROP TABLE IF EXISTS orders", Kind.DROP, "DROP TABLE"),
    (("postgresql", "mysql"), "ALTER TABLE orders DROP COLUMN legacy", Kind.DROP, "DROP COLUMN"),
    (("mysql",), "ALTER TABLE orders DROP legacy", Kind.DROP, "DROP COLUMN"),
    (("postgresql",), "DROP INDEX idx_orders_status", Kind.DROP, "DROP INDEX"),
    (("mysql",), "DROP INDEX idx_orders_status ON orders", Kind.DROP, "DROP INDEX"),
    (("postgresql", "mysql"), "DROP VIEW order_totals", Kind.DROP, "DROP VIEW"),
    (("postgresql", "mysql"), "ALTER TABLE orders DROP CONSTRAINT fk_user", Kind.DROP, "DROP CONSTRAINT"),
    (("mysql",), "ALTER TABLE orders DROP FOREIGN KEY fk_user", Kind.DROP, "DROP FOREIGN KEY"),
    (("mysql",), "ALTER TABLE orders DROP PRIMARY KEY", Kind.DROP, "DROP PRIMARY KEY"),
    (("postgresql",), "DROP MATERIALIZED VIEW mv", Kind.DROP, "DROP MATERIALIZED VIEW"),
    (("postgresql",), "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT", Kind.DROP, "DROP DEFAULT"),
    (("postgresql", "mysql"), "ALTER TABLE orders RENAME TO purchases", Kind.RENAME, "RENAME TO"),
    (("postgresql", "mysql"), "ALTER TABLE orders RENAME COLUMN a TO b", Kind.RENAME, "RENAME COLUMN"),
    (("postgresql",), "ALTER TABLE orders RENAME a TO b", Kind.RENAME, "RENAME COLUMN"),
    (("mysql",), "RENAME TABLE orders TO purchases", Kind.RENAME, "RENAME TABLE"),
    (("postgresql",), "ALTER TABLE orders SET SCHEMA archive", Kind.RENAME, "SET SCHEMA (moves the object)"),
    (("postgresql",), "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)", Kind.TYPE_CHANGE, "ALTER COLUMN ... TYPE"),
    (("postgresql",), "ALTER TABLE orders ALTER total SET DATA TYPE bigint", Kind.TYPE_CHANGE, "ALTER COLUMN ... TYPE"),
    (("postgresql",), 'ALTER TABLE orders ALTER COLUMN "type" TYPE text', Kind.TYPE_CHANGE, "ALTER COLUMN ... TYPE"),
    (("mysql",), "ALTER TABLE orders MODIFY total DECIMAL(12,2)", Kind.TYPE_CHANGE, "MODIFY COLUMN (MySQL type change)"),
    (("mysql",), "ALTER TABLE orders MODIFY COLUMN total DECIMAL(12,2) NOT NULL", Kind.TYPE_CHANGE, "MODIFY COLUMN (MySQL type change)"),
    (("mysql",), "ALTER TABLE orders CHANGE COLUMN total amount BIGINT", Kind.TYPE_CHANGE, "CHANGE COLUMN (MySQL type change)"),
    (("mysql",), "ALTER TABLE orders ADD COLUMN x INT DEFAULT 0, CHANGE total amount BIGINT", Kind.TYPE_CHANGE, "CHANGE COLUMN (MySQL type change)"),
    (("mysql",), "ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4", Kind.TYPE_CHANGE, "CONVERT TO CHARACTER SET (changes column types)"),
    (("postgresql",), "ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL", Kind.SET_NOT_NULL, "SET NOT NULL"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD COLUMN region TEXT NOT NULL", Kind.NOT_NULL_WITHOUT_DEFAULT, "ADD COLUMN ... NOT NULL without DEFAULT"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD region VARCHAR(8) NOT NULL", Kind.NOT_NULL_WITHOUT_DEFAULT, "ADD COLUMN ... NOT NULL without DEFAULT"),
    (("postgresql",), "ALTER TABLE orders ADD COLUMN IF NOT EXISTS region TEXT NOT NULL", Kind.NOT_NULL_WITHOUT_DEFAULT, "ADD COLUMN ... NOT NULL without DEFAULT"),
    (("mysql",), "ALTER TABLE orders ADD (region VARCHAR(8) DEFAULT 'eu', zone INT NOT NULL)", Kind.NOT_NULL_WITHOUT_DEFAULT, "ADD COLUMN ... NOT NULL without DEFAULT"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD COLUMN a INT DEFAULT 1, ADD COLUMN b INT NOT NULL", Kind.NOT_NULL_WITHOUT_DEFAULT, "ADD COLUMN ... NOT NULL without DEFAULT"),
    (("postgresql", "mysql"), "TRUNCATE TABLE orders", Kind.TRUNCATE, "TRUNCATE"),
    (("postgresql",), "TRUNCATE orders, order_lines", Kind.TRUNCATE, "TRUNCATE"),
    (("postgresql", "mysql"), "DELETE FROM orders", Kind.DELETE_WITHOUT_WHERE, "DELETE without WHERE"),
    (("postgresql",), "DELETE FROM orders USING users", Kind.DELETE_WITHOUT_WHERE, "DELETE without WHERE"),
    (("postgresql",), "WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone WHERE id > 0", Kind.DELETE_WITHOUT_WHERE, "DELETE without WHERE"),
    (("mysql",), "DELETE LOW_PRIORITY QUICK FROM orders", Kind.DELETE_WITHOUT_WHERE, "DELETE without WHERE"),
    (("mysql",), "DELETE o FROM orders o JOIN users u ON u.id = o.user_id", Kind.DELETE_WITHOUT_WHERE, "DELETE without WHERE"),
    (("postgresql",), "DO $$ BEGIN EXECUTE 'DROP TABLE orders'; END $$", Kind.DYNAMIC_SQL, "EXECUTE: dynamic SQL cannot be checked"),
    (("mysql",), "PREPARE s FROM @sql", Kind.DYNAMIC_SQL, "PREPARE: dynamic SQL cannot be checked"),
]

SAFE: list[tuple[tuple[Dialect, ...], str]] = [
    (("postgresql", "mysql"), "CREATE TABLE orders (id BIGINT PRIMARY KEY, status TEXT NOT NULL)"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD COLUMN region TEXT"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD COLUMN region TEXT NOT NULL DEFAULT 'eu'"),
    (("postgresql",), "ALTER TABLE orders ADD COLUMN id2 BIGSERIAL NOT NULL"),
    (("postgresql",), "ALTER TABLE orders ADD COLUMN n INT GENERATED ALWAYS AS IDENTITY"),
    (("mysql",), "ALTER TABLE outbox ADD COLUMN seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE"),
    (("mysql",), "ALTER TABLE t ADD COLUMN total INT AS (a + b) NOT NULL"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD CONSTRAINT uq_ref UNIQUE (ref)"),
    (("postgresql", "mysql"), "ALTER TABLE orders ADD COLUMN note TEXT CHECK (note IS NOT NULL OR id > 0)"),
    (("postgresql",), "ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL"),
    (("postgresql",), "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'"),
    (("postgresql",), "ALTER TABLE orders ADD COLUMN type TEXT"),
    (("postgresql", "mysql"), "CREATE INDEX idx_orders_status ON orders (status)"),
    (("postgresql", "mysql"), "CREATE VIEW order_totals AS SELECT id, total FROM orders"),
    (("postgresql", "mysql"), "DELETE FROM orders WHERE id = 1"),
    (("postgresql",), "DELETE FROM orders o USING users u WHERE u.id = o.user_id"),
    (("postgresql", "mysql"), "CREATE TABLE lines (order_id BIGINT REFERENCES orders (id) ON DELETE CASCADE, n INT)"),
    (("postgresql", "mysql"), "CREATE TABLE lines (order_id BIGINT, FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL)"),
    (("postgresql",), "CREATE TRIGGER tr BEFORE DELETE OR TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION audit()"),
    (("mysql",), "CREATE TRIGGER tr BEFORE DELETE ON orders FOR EACH ROW SET @n = @n + 1"),
    (("postgresql", "mysql"), "GRANT SELECT, DELETE, TRUNCATE ON orders TO app"),
    (("postgresql",), "GRANT EXECUTE ON FUNCTION audit() TO app"),
    (("mysql",), "UPDATE orders SET total = TRUNCATE(total, 2) WHERE id > 0"),
    (("postgresql", "mysql"), "INSERT INTO audit (note) VALUES ('DROP TABLE orders; TRUNCATE users; DELETE FROM x')"),
    (("postgresql", "mysql"), "COMMENT ON TABLE orders IS 'we never rename or drop this'"),
    (("postgresql",), 'CREATE TABLE "drop" ("rename" INT, "truncate" TEXT)'),
    (("mysql",), "CREATE TABLE `drop` (`rename` INT, `truncate` TEXT)"),
    (("mysql",), 'INSERT INTO t VALUES ("DROP TABLE t", "ALTER TABLE t MODIFY x INT")'),
    (("postgresql", "mysql"), "SELECT 1 -- DROP TABLE orders\n"),
    (("postgresql", "mysql"), "/* ALTER TABLE orders DROP COLUMN x; TRUNCATE orders */ SELECT 1"),
    (("mysql",), "# DELETE FROM orders\nSELECT 1"),
    (("postgresql",), "CREATE TABLE t (note TEXT DEFAULT E'it\\'s DROP TABLE x')"),
]
# fmt: on


def _cases(table: list, width: int) -> list:  # type: ignore[type-arg]
    return [
        pytest.param(dialect, *row[1:width], id=f"{dialect}-{row[1][:48]}")
        for row in table
        for dialect in row[0]
    ]


@pytest.mark.parametrize(("dialect", "sql", "kind", "what"), _cases(DESTRUCTIVE, 4))
def test_each_destructive_kind_is_found(dialect: Dialect, sql: str, kind: Kind, what: str) -> None:
    script = f"CREATE TABLE keep (id INT);\n\n{sql};\n"
    found = find_destructive(script, dialect=dialect, script="V7__x.sql")
    assert [(f.kind, f.what) for f in found] == [(kind, what)]
    assert found[0].line == 3
    assert str(found[0]).startswith(f"V7__x.sql:3: {what} (")


@pytest.mark.parametrize(("dialect", "sql"), _cases(SAFE, 2))
def test_expand_statements_and_quoted_words_are_not_flagged(dialect: Dialect, sql: str) -> None:
    assert find_destructive(f"{sql};\n", dialect=dialect) == []


def test_the_line_is_the_keyword_s_not_the_statement_s() -> None:
    script = "ALTER TABLE orders\n  ADD COLUMN a INT,\n  -- about to drop\n  DROP COLUMN b;\n"
    for dialect in BOTH:
        (found,) = find_destructive(script, dialect=dialect, script="V2__x.sql")
        assert (found.line, found.what) == (4, "DROP COLUMN")


def test_postgres_bodies_are_read_as_code() -> None:
    script = (
        "CREATE TABLE t (id INT);\n"
        "DO $do$\nBEGIN\n  IF true THEN\n    DELETE FROM t;\n  END IF;\n"
        "  RAISE NOTICE 'DROP TABLE t';\nEND\n$do$;\n"
    )
    found = find_destructive(script, dialect="postgresql")
    assert [(f.kind, f.line) for f in found] == [(Kind.DELETE_WITHOUT_WHERE, 5)]


def test_mysql_routines_and_executable_comments() -> None:
    script = (
        "DELIMITER //\n"
        "CREATE PROCEDURE purge() BEGIN\n  DELETE FROM sessions;\nEND //\n"
        "DELIMITER ;\n"
        "/*!50100 ALTER TABLE t DROP COLUMN x */;\n"
    )
    found = find_destructive(script, dialect="mysql")
    assert [(f.kind, f.line) for f in found] == [(Kind.DELETE_WITHOUT_WHERE, 3), (Kind.DROP, 6)]


# ---- properties --------------------------------------------------------------------------
_statements = st.sampled_from([row[1] for row in DESTRUCTIVE if "postgresql" in row[0]])
_noise = st.sampled_from(["\n", "  ", "\n\n", " /* c */ ", "\n-- c\n", "\t"])


@settings(max_examples=200)
@given(sql=_statements, before=st.lists(_noise, max_size=4))
def test_inside_a_string_or_comment_nothing_counts(sql: str, before: list[str]) -> None:
    quoted = sql.replace("'", "''")
    script = "".join(before) + f"SELECT '{quoted}';\n-- {sql}\n/* {sql} */\n"
    assert find_destructive(script, dialect="postgresql") == []


@settings(max_examples=200)
@given(sql=_statements, blank=st.integers(0, 5), noise=_noise)
def test_comments_and_layout_change_the_line_not_the_verdict(
    sql: str, blank: int, noise: str
) -> None:
    plain = find_destructive(sql + ";", dialect="postgresql")
    spread = " ".join(sql.split(" ", 1)[:1]) + noise + " ".join(sql.split(" ", 1)[1:])
    moved = find_destructive("\n" * blank + spread + ";", dialect="postgresql")
    assert [f.kind for f in moved] == [f.kind for f in plain] != []
    assert moved[0].line >= blank + 1


@given(text=st.text(max_size=200), dialect=st.sampled_from(BOTH))
def test_any_text_is_read_without_error(text: str, dialect: Dialect) -> None:
    for finding in find_destructive(text, dialect=dialect):
        assert 1 <= finding.line <= text.count("\n") + 1
