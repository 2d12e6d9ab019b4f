from __future__ import annotations

import io

import pytest
from ecomkit.revocation import MemoryDenylist

from tests.contracts import UowFactory
from tests.fakes import FakeHasher, FakeStore, FakeTokenIssuer
from user_auth.bootstrap import bootstrap
from user_auth.domain.model import Role
from user_auth.entrypoints.cli import AdminRefused, create_admin, grant_admin, main
from user_auth.service_layer.messagebus import MessageBus
from user_auth.service_layer.sessions import SessionDependencies
from user_auth.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def bus(uow: UowFactory) -> MessageBus:
    return bootstrap(
        Settings(),
        uow=uow,
        hasher=FakeHasher(),
        tokens=FakeTokenIssuer(),
        sessions=SessionDependencies(denylist=MemoryDenylist()),
    )


async def test_create_admin_twice_with_the_same_password_creates_one(bus: MessageBus) -> None:
    made = await create_admin(bus, "root", "r00t-pass", "root@example.com")
    again = await create_admin(bus, "root", "r00t-pass", "root@example.com")
    assert made.created and not again.created and again.user_id == made.user_id


async def test_create_admin_never_takes_over_an_existing_user(
    bus: MessageBus, store: FakeStore
) -> None:
    await create_admin(bus, "root", "r00t-pass", "root@example.com")
    with pytest.raises(AdminRefused, match=r"already exists$"):
        await create_admin(bus, "root", "other-pass1", "root@example.com")
    store.users[1].roles = {Role.USER}
    with pytest.raises(AdminRefused, match="is not an ADMIN"):
        await create_admin(bus, "root", "r00t-pass", "root@example.com")
    assert store.users[1].roles == {Role.USER}


async def test_grant_admin_adds_the_role_and_keeps_the_password(
    bus: MessageBus, store: FakeStore
) -> None:
    await create_admin(bus, "root", "r00t-pass", "root@example.com")
    store.users[1].roles = {Role.USER}
    kept = store.users[1].password_hash
    assert (await grant_admin(bus, "root")).user_id == 1
    assert store.users[1].roles == {Role.USER, Role.ADMIN}
    assert store.users[1].password_hash == kept
    with pytest.raises(AdminRefused, match="no user"):
        await grant_admin(bus, "nobody")


def test_weak_input_is_refused_before_touching_the_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-admin", "--username", "root", "--password", "short"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["create-admin", "--username", "root", "--password-stdin"]) == 2
    assert main(["grant-admin", "--username", "a b"]) == 2
    assert "username 'a b'" in capsys.readouterr().err


def test_an_unreachable_database_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECOM_DATABASE_URL", "mysql+asyncmy://u:p@127.0.0.1:9/users")
    assert main(["create-admin", "--username", "root", "--password", "r00t-pass"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the database") and err.count("\n") == 1
