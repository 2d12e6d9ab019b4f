from argon2 import PasswordHasher

from ecomkit import passwords


def test_hash_verifies_only_the_same_password() -> None:
    hashed = passwords.hash("s3cret!")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "s3cret!")
    assert not passwords.verify(hashed, "wrong")


def test_garbage_hash_does_not_verify() -> None:
    assert not passwords.verify("not-a-hash", "x")


def test_weaker_parameters_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x")
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash("x"))
