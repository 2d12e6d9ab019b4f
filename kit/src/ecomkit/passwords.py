"""Password hashing with Argon2id: RFC 9106's second recommended option (t=3, 64 MiB) on
one lane.

One lane, not argon2-cffi's default four: libargon2 runs each lane in a thread of its own
(about 44 threads started and joined per hash), so one hash in progress took every core of
a 2-core machine and a hashing pool bounded in threads bounded no CPU. On one lane a hash
uses one core, and the pool's bound is a bound on cores. Parallelism does not add to an
attacker's cost (lanes are as parallel on their hardware); hashes made on four lanes still
verify, and are rehashed on the next login (`needs_rehash`)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(parallelism=1)


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
