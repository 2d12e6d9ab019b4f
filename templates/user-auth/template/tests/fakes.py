"""In-memory stand-ins for the MySQL adapters; contracts.py keeps them honest."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Never

from ecomkit.testing import InMemoryUnitOfWork

from user_auth.adapters.repositories import RefreshTokenRepository, UserRepository
from user_auth.domain.errors import EmailTaken, UsernameTaken
from user_auth.domain.model import RefreshToken, User
from user_auth.service_layer.unit_of_work import UnitOfWork


@dataclass
class FakeStore:
    """The "database": committed state shared by every unit of work."""

    users: dict[int, User] = field(default_factory=dict)
    tokens: dict[int, RefreshToken] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime(2025, 1, 1))


class FakeUserRepository(UserRepository):
    def __init__(self, users: dict[int, User], now: datetime) -> None:
        self.users = users
        self.now = now

    async def add(self, user: User) -> User:
        self._check_unique(user)
        user.id = max(self.users, default=0) + 1
        user.created_at = self.now
        self.users[user.id] = copy.deepcopy(user)
        return user

    async def get(self, user_id: int) -> User | None:
        return copy.deepcopy(self.users.get(user_id))

    async def get_by_username(self, username: str) -> User | None:
        found = [u for u in self.users.values() if u.username.lower() == username.lower()]
        return copy.deepcopy(found[0]) if found else None

    async def get_by_email(self, email: str) -> User | None:
        found = [u for u in self.users.values() if u.profile.email == email.lower()]
        return copy.deepcopy(found[0]) if found else None

    async def save(self, user: User) -> None:
        assert user.id is not None
        self._check_unique(user)
        self.users[user.id] = copy.deepcopy(user)

    async def list(self, *, offset: int, limit: int) -> tuple[list[User], int]:
        ordered = [self.users[k] for k in sorted(self.users)]
        return copy.deepcopy(ordered[offset : offset + limit]), len(ordered)

    def _check_unique(self, user: User) -> None:
        for other in self.users.values():
            if other.id == user.id:
                continue
            # MySQL's default collation compares case-insensitively; so does the fake.
            if other.username.lower() == user.username.lower():
                raise UsernameTaken(user.username)
            if other.profile.email.lower() == user.profile.email.lower():
                raise EmailTaken()


class FakeRefreshTokenRepository(RefreshTokenRepository):
    def __init__(self, tokens: dict[int, RefreshToken]) -> None:
        self.tokens = tokens

    async def add(self, token: RefreshToken) -> RefreshToken:
        token.id = max(self.tokens, default=0) + 1
        self.tokens[token.id] = copy.deepcopy(token)
        return token

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        found = [t for t in self.tokens.values() if t.token_hash == token_hash]
        return copy.deepcopy(found[0]) if found else None

    async def mark_replaced(self, token_id: int, replaced_by: int, at: datetime) -> None:
        self.tokens[token_id].replaced_by = replaced_by
        self.tokens[token_id].revoked_at = at

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        live = [t for t in self.tokens.values() if t.family_id == family_id and not t.revoked_at]
        for token in live:
            token.revoked_at = at
        return len(live)

    async def revoke_user(self, user_id: int, at: datetime) -> int:
        live = [t for t in self.tokens.values() if t.user_id == user_id and not t.revoked_at]
        for token in live:
            token.revoked_at = at
        return len(live)


class FakeUnitOfWork(InMemoryUnitOfWork[FakeStore, Never], UnitOfWork):
    def begin(self) -> None:
        self._users = copy.deepcopy(self.store.users)
        self._tokens = copy.deepcopy(self.store.tokens)
        self.users = FakeUserRepository(self._users, self.store.now)
        self.refresh_tokens = FakeRefreshTokenRepository(self._tokens)

    def apply(self, events: list[Never]) -> None:
        self.store.users = self._users
        self.store.tokens = self._tokens


class FakeHasher:
    """sha256 instead of argon2: the unit tests are about rules, not cost."""

    def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("fake$")


class FakeTokenIssuer:
    def __init__(self) -> None:
        self.issued: list[tuple[int, str, list[str]]] = []

    def issue_access(self, user_id: int, username: str, roles: list[str]) -> str:
        self.issued.append((user_id, username, roles))
        return f"access-{user_id}-{len(self.issued)}"

    def jwks(self) -> dict[str, list[object]]:
        return {"keys": []}


class FakeResetTokens:
    def __init__(self) -> None:
        self.tokens: dict[str, int] = {}

    async def put(self, token_hash: str, user_id: int, ttl_s: int) -> None:
        self.tokens[token_hash] = user_id

    async def take(self, token_hash: str) -> int | None:
        return self.tokens.pop(token_hash, None)


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
