"""Contract tests of the storage ports, run against the fakes (here) and against MySQL
(the repository's integration suite), so the fakes cannot drift from the real thing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from user_auth.domain.errors import EmailTaken, UsernameTaken
from user_auth.domain.model import Profile, RefreshToken, Role, User
from user_auth.service_layer.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
NOW = datetime(2025, 1, 1, 12, 0, 0)


def a_user(name: str | None = None) -> User:
    name = name or "user_" + uuid.uuid4().hex[:10]
    return User(username=name, password_hash="h", profile=Profile(email=f"{name}@example.com"))


class UnitOfWorkContract:
    """Subclasses provide the `uow` fixture: a factory of units of work on one store."""

    async def _add(self, uow: Callable[[], UnitOfWork], user: User) -> User:
        async with uow() as work:
            await work.users.add(user)
            await work.commit()
        return user

    async def test_added_user_reads_back(self, uow: Callable[[], UnitOfWork]) -> None:
        user = await self._add(uow, a_user())
        async with uow() as work:
            found = await work.users.get(user.id or 0)
            by_name = await work.users.get_by_username(user.username)
        assert found is not None and by_name is not None
        assert found.username == user.username and found.roles == {Role.USER}
        assert found.profile.email == user.profile.email and found.profile.language == "en"
        assert found.preferences.email_enabled and not found.preferences.sms_enabled
        assert by_name.id == user.id

    async def test_unknown_user_is_none(self, uow: Callable[[], UnitOfWork]) -> None:
        async with uow() as work:
            assert await work.users.get(10**12) is None
            assert await work.users.get_by_username("nobody-" + uuid.uuid4().hex) is None

    async def test_duplicate_username_and_email(self, uow: Callable[[], UnitOfWork]) -> None:
        user = await self._add(uow, a_user())
        twin = a_user(user.username)
        twin.profile.email = "other-" + user.profile.email
        with pytest.raises(UsernameTaken):
            await self._add(uow, twin)
        same_email = a_user()
        same_email.profile.email = user.profile.email
        with pytest.raises(EmailTaken):
            await self._add(uow, same_email)

    async def test_save_changes_profile_roles_and_login(
        self, uow: Callable[[], UnitOfWork]
    ) -> None:
        user = await self._add(uow, a_user())
        user.profile.first_name, user.profile.language = "Ada", "de"
        user.preferences.sms_enabled = True
        user.roles = {Role.USER, Role.ADMIN}
        user.last_login = NOW
        async with uow() as work:
            await work.users.save(user)
            await work.commit()
        async with uow() as work:
            found = await work.users.get(user.id or 0)
        assert found is not None
        assert found.profile.first_name == "Ada" and found.profile.language == "de"
        assert found.preferences.sms_enabled and found.roles == {Role.USER, Role.ADMIN}
        assert found.last_login == NOW

    async def test_uncommitted_work_is_rolled_back(self, uow: Callable[[], UnitOfWork]) -> None:
        user = a_user()
        async with uow() as work:
            await work.users.add(user)
        async with uow() as work:
            assert await work.users.get_by_username(user.username) is None

    async def test_list_pages_in_id_order(self, uow: Callable[[], UnitOfWork]) -> None:
        for _ in range(3):
            await self._add(uow, a_user())
        async with uow() as work:
            first, total = await work.users.list(offset=0, limit=2)
            rest, _ = await work.users.list(offset=2, limit=100)
        ids = [u.id for u in first + rest if u.id is not None]
        assert total >= 3 and len(first) == 2 and ids == sorted(ids)
        assert len(ids) == len(first + rest)

    async def test_refresh_token_rotation_and_family_revocation(
        self, uow: Callable[[], UnitOfWork]
    ) -> None:
        user = await self._add(uow, a_user())
        family = str(uuid.uuid4())
        first = self._token(user, family)
        second = self._token(user, family)
        async with uow() as work:
            await work.refresh_tokens.add(first)
            await work.refresh_tokens.add(second)
            await work.refresh_tokens.mark_replaced(first.id or 0, second.id or 0, NOW)
            await work.commit()
        async with uow() as work:
            old = await work.refresh_tokens.get_for_update(first.token_hash)
            new = await work.refresh_tokens.get_for_update(second.token_hash)
            assert old is not None and old.consumed and old.replaced_by == second.id
            assert new is not None and not new.consumed
            assert new.expires_at == second.expires_at and new.family_id == family
            assert await work.refresh_tokens.revoke_family(family, NOW) == 1
            await work.commit()
        async with uow() as work:
            revoked = await work.refresh_tokens.get_for_update(second.token_hash)
            assert revoked is not None and revoked.revoked_at == NOW
            assert await work.refresh_tokens.get_for_update("0" * 64) is None

    @staticmethod
    def _token(user: User, family: str) -> RefreshToken:
        return RefreshToken(
            token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            family_id=family,
            user_id=user.id or 0,
            expires_at=NOW + timedelta(days=14),
        )
