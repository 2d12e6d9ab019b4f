from __future__ import annotations

import pytest

from tests.fakes import FakeHasher, FakeStore, FakeUnitOfWork
from user_auth.bootstrap import bootstrap
from user_auth.domain.model import Role
from user_auth.entrypoints.cli import create_admin, main
from user_auth.settings import Settings

pytestmark = pytest.mark.anyio


async def test_create_admin_then_again_grants_admin() -> None:
    store = FakeStore()
    bus = bootstrap(Settings(), uow=lambda: FakeUnitOfWork(store), hasher=FakeHasher())
    assert "created admin" in await create_admin(bus, "root", "r00t-pass", "root@example.com")
    store.users[1].roles = {Role.USER}
    assert "granted ADMIN" in await create_admin(bus, "root", "other-pass1", "root@example.com")
    assert store.users[1].roles == {Role.USER, Role.ADMIN}


def test_weak_password_is_refused_before_touching_the_database() -> None:
    assert main(["create-admin", "--username", "root", "--password", "short"]) == 2
