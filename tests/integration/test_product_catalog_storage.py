"""product-catalog's storage contract (its template's tests/contracts.py, which the fakes
pass too) on a MariaDB of its own (`ecomctl up --only mysql` at OFFSET +
ECOMCTL_TEST_CATALOG_DB_SHIFT): products, soft deletes, and the version every save raises
(V5), which ProductChanged carries to search."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from saga_support import template_contracts
from test_user_auth_service import new_migrated_database

from tests.integration.conftest import OFFSET, own_platform

CATALOG_DB_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_CATALOG_DB_SHIFT", "4500"))

_contracts = template_contracts("product-catalog")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def contract_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workspace = tmp_path_factory.mktemp("catalog-db")
    for platform in own_platform(workspace, "mysql", CATALOG_DB_OFFSET):
        admin = f"mysql://ecomctl:ecomctl@127.0.0.1:{platform.port('mysql')}/mysql"
        yield new_migrated_database(admin, "product-catalog")


class TestMysqlUnitOfWork(_contracts.UnitOfWorkContract):  # type: ignore[misc,name-defined]
    pytestmark = pytest.mark.anyio

    @pytest.fixture
    async def uow(self, contract_db: str) -> AsyncIterator[Any]:
        from ecomkit.db import create_engine, create_session_factory
        from product_catalog.service_layer.unit_of_work import MysqlUnitOfWork

        engine = create_engine(contract_db)
        sessions = create_session_factory(engine)
        factory: Callable[[], MysqlUnitOfWork] = lambda: MysqlUnitOfWork(sessions)  # noqa: E731
        yield factory
        await engine.dispose()
