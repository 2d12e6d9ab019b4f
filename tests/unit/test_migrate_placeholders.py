# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Placeholder replacement as Flyway does it (checked against Flyway 12)."""

from __future__ import annotations

import pytest

from ecomctl.errors import UsageError
from ecomctl.migrate.placeholders import Placeholders, flyway_defaults


def test_replaces_case_insensitively_and_everywhere() -> None:
    p = Placeholders({"who": "me"})
    assert p.replace("'${who}' $$ ${WHO} $$", filename="V1__x.sql") == "'me' $$ me $$"


def test_escape_is_left_alone() -> None:
    assert Placeholders({"who": "me"}).replace("$${who}", filename="f") == "$${who}"


def test_missing_value_is_an_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"\$\{nope\}"):
        Placeholders({}).replace("select '${nope}'", filename="f", script="V1__x.sql")


def test_flyway_defaults() -> None:
    values = flyway_defaults(schema="public", user="u", database="d", table="t")
    p = Placeholders(values)
    text = "${flyway:defaultSchema} ${flyway:user} ${flyway:database} ${flyway:table} ${flyway:filename}"
    assert p.replace(text, filename="V1__a.sql") == "public u d t V1__a.sql"
    assert len(p.replace("${flyway:timestamp}", filename="f")) == len("2024-01-01 00:00:00")


def test_custom_prefix_and_disabled() -> None:
    assert (
        Placeholders({"a": "1"}, prefix="#[", suffix="]").replace("#[a] ${a}", filename="f")
        == "1 ${a}"
    )
    assert Placeholders({}, enabled=False).replace("${x}", filename="f") == "${x}"
