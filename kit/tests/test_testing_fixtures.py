"""ecomkit.testing.fixtures: the store/uow fixtures, the in-process client and problem()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ecomkit.testing.fixtures import api_client, in_memory_storage, problem

pytestmark = pytest.mark.anyio


@dataclass
class Store:
    rows: list[int] = field(default_factory=list)


@dataclass
class Uow:
    store: Store


store, uow = in_memory_storage(Store, Uow)


def test_each_unit_of_work_is_on_the_tests_store(store: Store, uow: Callable[[], Uow]) -> None:
    first, second = uow(), uow()
    assert first is not second
    assert first.store is store and second.store is store


def test_each_test_has_a_fresh_store(store: Store) -> None:
    store.rows.append(1)  # the other tests must not see this
    assert store.rows == [1]


def app() -> FastAPI:
    api = FastAPI()

    @api.get("/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @api.get("/refused")
    async def refused() -> JSONResponse:
        body = {"title": "Conflict", "status": 409}
        return JSONResponse(body, status_code=409, media_type="application/problem+json")

    return api


async def test_api_client_calls_the_app_in_process() -> None:
    async with api_client(app()) as client:
        assert (await client.get("/ok")).json() == {"ok": "yes"}


async def test_problem_returns_the_body_of_a_problem_answer() -> None:
    async with api_client(app()) as client:
        assert problem(await client.get("/refused"), 409) == {"title": "Conflict", "status": 409}


async def test_problem_refuses_another_status_or_a_plain_json_answer() -> None:
    async with api_client(app()) as client:
        refused, ok = await client.get("/refused"), await client.get("/ok")
    with pytest.raises(AssertionError):
        problem(refused, 400)
    with pytest.raises(AssertionError):
        problem(ok, 200)
