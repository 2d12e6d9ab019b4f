"""The cache of verified tokens: hits until the token's expiry, bounded, least recent out."""

from __future__ import annotations

from gateway.domain.identity import Identity, VerifiedTokens

ANN = Identity(7, "ann", ("USER",))


def test_a_verified_token_is_remembered_until_it_expires() -> None:
    now = [1000.0]
    tokens = VerifiedTokens(clock=lambda: now[0])
    tokens.put("Bearer a", ANN, expires_at=1010)
    assert tokens.get("Bearer a") == ANN
    assert tokens.get("Bearer b") is None
    now[0] = 1010.0
    assert tokens.get("Bearer a") is None


def test_the_least_recently_used_token_goes_first() -> None:
    tokens = VerifiedTokens(max_entries=2, clock=lambda: 0.0)
    tokens.put("a", ANN, 10)
    tokens.put("b", ANN, 10)
    assert tokens.get("a") == ANN  # now "b" is the least recent
    tokens.put("c", ANN, 10)
    assert tokens.get("b") is None and tokens.get("a") == ANN and tokens.get("c") == ANN
