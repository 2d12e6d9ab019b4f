"""Who is calling: what the gateway learnt from a verified token, and how it tells upstreams."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    user_id: int
    username: str
    roles: tuple[str, ...]

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("X-User-Id", str(self.user_id)),
            ("X-User-Name", self.username),
            ("X-User-Roles", ",".join(self.roles)),
        ]


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, forged or meant for someone else."""


# Verifies the Authorization header's value ("Bearer <jwt>"); raises InvalidToken.
TokenVerifier = Callable[[str], Identity]
