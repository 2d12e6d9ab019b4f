"""What happened (past tense). user-auth publishes nothing to Kafka (DESIGN 4); these
events go to the audit log, which is where a security team looks for reuse attacks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class UserRegistered(Event):
    user_id: int
    username: str


@dataclass(frozen=True)
class UserLoggedIn(Event):
    user_id: int


@dataclass(frozen=True)
class RefreshTokenReuseDetected(Event):
    user_id: int
    family_id: str


@dataclass(frozen=True)
class RolesChanged(Event):
    user_id: int
    roles: tuple[str, ...]
