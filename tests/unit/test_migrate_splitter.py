# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Statement splitting for PostgreSQL and MySQL, with property tests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecomctl.migrate.splitter import split_mysql, split_postgres


def test_postgres_dollar_quotes_and_comments() -> None:
    script = (
        "-- header; comment\n"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN NEW.x := 'a;b'; RETURN NEW; END; $fn$;\n"
        "/* block; /* nested; */ still */ INSERT INTO t VALUES ('x;y', E'it\\'s;', \"q;\");\n"
        "SELECT $$;$$;"
    )
    found = split_postgres(script)
    assert [s.line for s in found] == [2, 4, 5]
    assert found[0].sql.endswith("$fn$")
    assert found[1].sql.startswith("INSERT")
    assert found[2].sql == "SELECT $$;$$"


def test_postgres_begin_atomic() -> None:
    script = (
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; "
        "SELECT 2; END; SELECT 3;"
    )
    assert len(split_postgres(script)) == 2


def test_mysql_delimiter_comments_and_strings() -> None:
    script = (
        "CREATE TABLE a (x int); # hash; comment\n"
        "DELIMITER //\n"
        "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END //\n"
        "DELIMITER ;\n"
        "INSERT INTO a VALUES ('x;\\'y', \"z;\"); -- dash; comment\n"
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "SELECT `odd;name` FROM a"
    )
    found = split_mysql(script)
    assert [s.sql.split()[0] for s in found] == ["CREATE", "CREATE", "INSERT", "/*!40101", "SELECT"]
    assert found[1].sql.endswith("END")
    assert found[1].line == 3


def test_mysql_routine_without_delimiter() -> None:
    script = (
        "CREATE TRIGGER tr BEFORE INSERT ON a FOR EACH ROW BEGIN\n"
        "  IF NEW.x > 1 THEN SET NEW.x = 1; END IF;\n"
        "  CASE WHEN NEW.x = 0 THEN SET NEW.x = 2; ELSE SET NEW.x = 3; END CASE;\n"
        "END;\nSELECT 1;"
    )
    assert len(split_mysql(script)) == 2


def test_only_comments_is_no_statement() -> None:
    assert split_postgres("-- nothing\n/* here */\n") == []
    assert split_mysql("# nothing\n-- here\n") == []


# ---- properties ------------------------------------------------------------------------------
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=15
)


@st.composite
def pg_statement(draw: st.DrawFn) -> str:
    literal = draw(safe_text).replace("'", "''")
    body = draw(safe_text).replace("$", "")
    kind = draw(st.sampled_from(["string", "dollar", "ident", "plain"]))
    if kind == "string":
        return f"SELECT '{literal}'"
    if kind == "dollar":
        return f"SELECT $body${body}$body$"
    if kind == "ident":
        return 'SELECT 1 AS "{}"'.format(draw(safe_text).replace('"', '""'))
    return f"SELECT {draw(st.integers(0, 10**6))}"


@st.composite
def mysql_statement(draw: st.DrawFn) -> str:
    literal = draw(safe_text).replace("\\", "\\\\").replace("'", "''")
    kind = draw(st.sampled_from(["string", "dq", "backtick", "plain"]))
    if kind == "string":
        return f"SELECT '{literal}'"
    if kind == "dq":
        return 'SELECT "{}"'.format(draw(safe_text).replace("\\", "\\\\").replace('"', '""'))
    if kind == "backtick":
        return "SELECT 1 AS `{}`".format(draw(safe_text).replace("`", "``"))
    return f"SELECT {draw(st.integers(0, 10**6))}"


comment = st.sampled_from(["", "-- a; comment\n", "/* b; */ ", "\n\n"])


@given(st.lists(st.tuples(pg_statement(), comment), min_size=1, max_size=8))
def test_postgres_split_round_trips(parts: list[tuple[str, str]]) -> None:
    script = "".join(f"{c}{s};\n" for s, c in parts)
    assert [x.sql for x in split_postgres(script)] == [s for s, _ in parts]


@given(
    st.lists(
        st.tuples(
            mysql_statement(), comment.map(lambda c: c.replace("/*", "#").replace(" */", "\n"))
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([";", "//", "$$"]),
)
def test_mysql_split_round_trips(parts: list[tuple[str, str]], delimiter: str) -> None:
    head = "" if delimiter == ";" else f"DELIMITER {delimiter}\n"
    script = head + "".join(f"{c}{s}{delimiter}\n" for s, c in parts)
    assert [x.sql for x in split_mysql(script)] == [s for s, _ in parts]
