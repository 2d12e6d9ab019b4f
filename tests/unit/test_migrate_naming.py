"""File names and descriptions as Flyway derives them; checksums as Flyway computes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomctl.migrate.checksum import checksum_file, checksum_text
from ecomctl.migrate.naming import ScriptKind, parse_name


def test_versioned() -> None:
    name = parse_name("V1_2__add_user_index.sql")
    assert name is not None
    assert name.kind is ScriptKind.VERSIONED
    assert str(name.version) == "1.2"
    assert name.description == "add user index"


def test_undo_and_repeatable() -> None:
    undo = parse_name("U3__drop_it.sql")
    rep = parse_name("R__some_view.sql")
    assert undo is not None and undo.kind is ScriptKind.UNDO and str(undo.version) == "3"
    assert rep is not None and rep.kind is ScriptKind.REPEATABLE and rep.version is None
    assert rep.description == "some view"


@pytest.mark.parametrize(
    "name",
    ["V1_x.sql", "V1__x.txt", "X1__x.sql", "R1__x.sql", "V__x.sql", "Va__x.sql", "readme.md"],
)
def test_not_migrations(name: str) -> None:
    assert parse_name(name) is None


# Values from real Flyway 12 (flyway_schema_history.checksum after `flyway migrate`).
FLYWAY_CHECKSUMS = [
    (
        b"CREATE TABLE a (id int);\n-- \xc3\x9cn\xc3\xafcode comment\nINSERT INTO a VALUES (1);\n",
        1745455975,
    ),
    (b"\xef\xbb\xbfCREATE TABLE b (id int);\r\nINSERT INTO b VALUES (2);\r\n\r\n", 876461540),
    (b"CREATE TABLE c (s varchar(20));\nINSERT INTO c VALUES (${who});", 1964202234),
    (b"CREATE VIEW v AS SELECT * FROM a;", 1266982670),
]


@pytest.mark.parametrize(("content", "expected"), FLYWAY_CHECKSUMS)
def test_checksum_matches_flyway(tmp_path: Path, content: bytes, expected: int) -> None:
    path = tmp_path / "V1__x.sql"
    path.write_bytes(content)
    assert checksum_file(path) == expected


lines = st.lists(
    # Scripts are decoded from UTF-8, so they never hold lone surrogates (category Cs).
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]),
        max_size=30,
    ),
    max_size=10,
)


@given(lines, st.sampled_from(["\n", "\r\n", "\r"]))
def test_line_endings_do_not_change_checksum(parts: list[str], eol: str) -> None:
    assert checksum_text("\n".join(parts)) == checksum_text(eol.join(parts))


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_checksum_is_signed_32_bit(text: str) -> None:
    assert -(2**31) <= checksum_text(text) < 2**31
