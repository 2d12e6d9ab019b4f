"""How many WebSockets each user holds open through this gateway process, and the cap.

A held connection costs the gateway and the upstream memory for as long as it lives, so
one user (or one stolen token) may hold only so many. Counted per worker process: with W
workers a user may hold up to W x the cap in the worst case (a client's connections are
spread over the workers by the kernel).
"""

from __future__ import annotations

from collections import Counter


class ConnectionLimit:
    def __init__(self, max_per_user: int) -> None:
        self.max_per_user = max_per_user
        self._open: Counter[int] = Counter()

    def acquire(self, user_id: int) -> bool:
        """Count one more connection of the user; False (nothing counted) when at the cap."""
        if self._open[user_id] >= self.max_per_user:
            return False
        self._open[user_id] += 1
        return True

    def release(self, user_id: int) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    @property
    def open(self) -> int:
        return sum(self._open.values())
