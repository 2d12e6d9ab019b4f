"""Password hashing with Argon2id at OWASP's first recommended setting: 19 MiB, t=2, one lane.

Why not RFC 9106's second option (t=3, 64 MiB), used before: measured on this project's
2-core machines, one verification took 183 ms of CPU there and 24 ms here. Every failed
login a throttle admits costs one (a dummy one for unknown usernames, so that timing does
not tell which names exist), so a burst of 50 guesses took 9 s of a core from every other
request, where it now takes 1.2 s. OWASP's Password Storage Cheat Sheet lists the settings
of equal defence (46 MiB t=1, 19 MiB t=2, 12 MiB t=3, ...); this is its first, and a
stronger one is a `PasswordHasher` argument away for a deployment with cores to spare.

One lane, not argon2-cffi's default four: libargon2 runs each lane in a thread of its own
(about 44 threads started and joined per hash), so one hash in progress took every core of
a 2-core machine and a hashing pool bounded in threads bounded no CPU. On one lane a hash
uses one core, and the pool's bound is a bound on cores. Parallelism does not add to an
attacker's cost (lanes are as parallel on their hardware). Hashes made with other
parameters still verify, and are rehashed on the next login (`needs_rehash`)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """False for a wrong password or a hash that is not Argon2 (never raises for those)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash on login."""
    return _hasher.check_needs_rehash(password_hash)
