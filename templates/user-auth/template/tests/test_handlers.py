"""The rules of registration, login and refresh-token rotation, on fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.contracts import UowFactory
from tests.fakes import FakeHasher, FakeStore, FakeTokenIssuer
from user_auth.domain import commands
from user_auth.domain.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    UsernameTaken,
)
from user_auth.domain.model import NotificationPreferences, Role
from user_auth.service_layer.handlers import Dependencies, TokenPair
from user_auth.service_layer.messagebus import MessageBus, message_bus

pytestmark = pytest.mark.anyio

REGISTER = commands.RegisterUser(
    commands.NewAccount(username="ada", email="Ada@Example.com", password="s3cret-pass")
)


@pytest.fixture
def bus(store: FakeStore, uow: UowFactory) -> MessageBus:
    return message_bus(
        Dependencies(
            uow=uow,
            hasher=FakeHasher(),
            tokens=FakeTokenIssuer(),
            clock=lambda: store.now,
        )
    )


async def login(bus: MessageBus) -> TokenPair:
    await bus.handle(REGISTER)
    pair: TokenPair = await bus.handle(commands.LoginUser("ada", "s3cret-pass"))
    return pair


async def test_register_stores_hash_and_default_role(bus: MessageBus, store: FakeStore) -> None:
    user = await bus.handle(REGISTER)
    stored = store.users[user.id]
    assert stored.password_hash != REGISTER.account.password
    assert stored.roles == {Role.USER} and stored.profile.email == "ada@example.com"


async def test_duplicate_username_is_refused(bus: MessageBus) -> None:
    await bus.handle(REGISTER)
    with pytest.raises(UsernameTaken):
        other = REGISTER.account.model_copy(update={"email": "other@example.com"})
        await bus.handle(commands.RegisterUser(other))


async def test_login_records_last_login(bus: MessageBus, store: FakeStore) -> None:
    pair = await login(bus)
    assert pair.access_token.startswith("access-1") and pair.refresh_token
    assert store.users[1].last_login == store.now


@pytest.mark.parametrize(("username", "password"), [("ada", "wrong-pass1"), ("bob", "x")])
async def test_bad_credentials_look_the_same(bus: MessageBus, username: str, password: str) -> None:
    await bus.handle(REGISTER)
    with pytest.raises(InvalidCredentials):
        await bus.handle(commands.LoginUser(username, password))


async def test_refresh_rotates_and_consumes(bus: MessageBus, store: FakeStore) -> None:
    first = await login(bus)
    second = await bus.handle(commands.RotateRefreshToken(refresh_token=first.refresh_token))
    assert second.refresh_token != first.refresh_token
    families = {t.family_id for t in store.tokens.values()}
    assert len(families) == 1
    third = await bus.handle(commands.RotateRefreshToken(refresh_token=second.refresh_token))
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}


async def test_reused_token_revokes_the_family(bus: MessageBus, store: FakeStore) -> None:
    first = await login(bus)
    second = await bus.handle(commands.RotateRefreshToken(refresh_token=first.refresh_token))
    with pytest.raises(RefreshTokenReused):
        await bus.handle(commands.RotateRefreshToken(refresh_token=first.refresh_token))
    assert all(t.revoked_at is not None for t in store.tokens.values())
    with pytest.raises(InvalidRefreshToken):  # the thief's and the owner's token alike
        await bus.handle(commands.RotateRefreshToken(refresh_token=second.refresh_token))


async def test_expired_and_unknown_tokens_are_refused(bus: MessageBus, store: FakeStore) -> None:
    pair = await login(bus)
    with pytest.raises(InvalidRefreshToken):
        await bus.handle(commands.RotateRefreshToken(refresh_token="not-a-token"))
    store.now += timedelta(days=15)
    with pytest.raises(InvalidRefreshToken):
        await bus.handle(commands.RotateRefreshToken(refresh_token=pair.refresh_token))


async def test_refreshing_never_extends_the_family(bus: MessageBus, store: FakeStore) -> None:
    """An absolute lifetime: refreshed every day, the family still ends 14 days after login."""
    pair = await login(bus)
    for _ in range(13):
        store.now += timedelta(days=1)
        pair = await bus.handle(commands.RotateRefreshToken(refresh_token=pair.refresh_token))
    store.now += timedelta(days=1, seconds=1)
    with pytest.raises(InvalidRefreshToken):
        await bus.handle(commands.RotateRefreshToken(refresh_token=pair.refresh_token))


async def test_logout_revokes_the_family(bus: MessageBus) -> None:
    pair = await login(bus)
    await bus.handle(commands.LogoutUser(refresh_token=pair.refresh_token))
    await bus.handle(commands.LogoutUser(refresh_token="unknown"))  # idempotent
    with pytest.raises(InvalidRefreshToken):
        await bus.handle(commands.RotateRefreshToken(refresh_token=pair.refresh_token))


async def test_profile_preferences_and_roles(bus: MessageBus, store: FakeStore) -> None:
    user = await bus.handle(REGISTER)
    changes = commands.ProfileChanges(first_name="Ada", language="de")
    await bus.handle(commands.UpdateProfile(user.id, changes))
    await bus.handle(
        commands.UpdatePreferences(user.id, NotificationPreferences(False, True, True))
    )
    await bus.handle(commands.AssignRoles(user.id, ("USER", "ADMIN")))
    stored = store.users[user.id]
    assert stored.profile.first_name == "Ada" and stored.profile.language == "de"
    assert stored.profile.email == "ada@example.com"  # untouched fields stay
    assert not stored.preferences.email_enabled and stored.preferences.push_enabled
    assert stored.is_admin


class RecordingHasher(FakeHasher):
    """Records the passwords it checks, in the order it checks them."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.checked.append(password)
        return super().verify(password_hash, password)


async def queue_behind_a_held_turn(deps: Dependencies, logins: list[commands.LoginUser]) -> None:
    """Runs `logins` (queued in this order for the hashing pool) after a turn held meanwhile."""
    release = asyncio.Event()

    async def hold() -> None:
        async with deps.hashing.turn("someone"):
            await release.wait()

    holder = asyncio.create_task(hold())
    bus = message_bus(deps)
    tasks = []
    for queued, login_command in enumerate(logins, start=1):
        tasks.append(asyncio.create_task(bus.handle(login_command)))
        while deps.hashing.waiting < queued:
            await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *tasks, return_exceptions=True)


async def test_a_login_behind_another_clients_burst_waits_for_one_guess(
    store: FakeStore, uow: UowFactory
) -> None:
    hasher = RecordingHasher()
    deps = Dependencies(
        uow=uow,
        hasher=hasher,
        tokens=FakeTokenIssuer(),
        clock=lambda: store.now,
    )
    await message_bus(deps).handle(REGISTER)
    burst = [commands.LoginUser(f"nobody{i}", f"guess{i}", "10.0.0.9") for i in range(20)]
    victim = commands.LoginUser("ada", "s3cret-pass", "10.0.0.1")
    await queue_behind_a_held_turn(deps, [*burst, victim])
    assert hasher.checked.index("s3cret-pass") == 1  # after 1 of the 20 guesses, not 20
    assert len(hasher.checked) == 21
