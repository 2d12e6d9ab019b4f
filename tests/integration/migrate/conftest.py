"""Per-test databases for the migrate integration tests.

The servers come from tests/integration/conftest.py (`postgres_url`, `mysql_url`:
the platform brought up by `ecomctl up`); each test gets its own randomly named
database rather than cleaning up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from migrate_support import new_database

from ecomctl.migrate import DatabaseUrl


# ---- per-test databases --------------------------------
@pytest.fixture(params=["postgresql", "mysql"])
def any_db(request: pytest.FixtureRequest) -> Iterator[DatabaseUrl]:
    fixture = "postgres_url" if request.param == "postgresql" else "mysql_url"
    yield new_database(request.getfixturevalue(fixture))


@pytest.fixture
def pg_db(postgres_url: str) -> DatabaseUrl:
    return new_database(postgres_url)


@pytest.fixture
def my_db(mysql_url: str) -> DatabaseUrl:
    return new_database(mysql_url)
