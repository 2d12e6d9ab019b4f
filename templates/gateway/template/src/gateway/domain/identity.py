"""Who is calling: what the gateway learnt from a verified token, and how it tells upstreams."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    user_id: int
    username: str
    roles: tuple[str, ...]
    token_id: str = ""  # the token's jti and issue time: what revocation is checked by
    issued_at: float = 0.0

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("X-User-Id", str(self.user_id)),
            ("X-User-Name", self.username),
            ("X-User-Roles", ",".join(self.roles)),
        ]


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, forged or meant for someone else."""


# Verifies the Authorization header's value ("Bearer <jwt>"): signature and claims;
# raises InvalidToken.
TokenVerifier = Callable[[str], Awaitable[Identity]]
# Raises InvalidToken if the identity's token was revoked (logout, password or role change).
RevocationCheck = Callable[[Identity], Awaitable[None]]


class VerifiedTokens:
    """Tokens already verified, remembered until they expire: a bounded LRU.

    A client sends the same access token with every request for its lifetime (15 min), and
    verifying it (base64, JSON, signature, claim checks) costs more than a dict lookup. Only valid
    tokens are kept, keyed by the whole header value, so a forged one never matches; an entry
    is never used past the token's `exp`.
    """

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Identity, float]] = OrderedDict()

    def get(self, header_value: str) -> Identity | None:
        entry = self._entries.get(header_value)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[header_value]
            return None
        self._entries.move_to_end(header_value)
        return entry[0]

    def put(self, header_value: str, identity: Identity, expires_at: float) -> None:
        self._entries[header_value] = (identity, expires_at)
        self._entries.move_to_end(header_value)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
