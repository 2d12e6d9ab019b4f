from argon2 import PasswordHasher, Type, extract_parameters

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


def test_hashes_of_the_previous_parameters_verify_and_are_rehashed() -> None:
    previous = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1).hash("x")
    assert passwords.verify(previous, "x")
    assert passwords.needs_rehash(previous)


def test_parameters_hold_owasps_floor() -> None:
    """OWASP's settings of equal defence trade memory for passes; none below 19 MiB at t=2."""
    made = extract_parameters(passwords.hash("x"))
    assert made.type is Type.ID
    assert made.memory_cost >= 19 * 1024
    assert made.memory_cost * made.time_cost >= 19 * 1024 * 2
