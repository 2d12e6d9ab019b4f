import json

import httpx
import pytest

from ecomkit.jwks import JwksKeySet
from ecomkit.keys import SigningKeyRing, generate_key, jwks_document
from ecomkit.testing import TestKeys

pytestmark = pytest.mark.anyio


async def test_unknown_kid_refreshes_at_most_once_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = generate_key(), generate_key()
    published = [first]
    now = [0.0]

    async def fake_get(self: httpx.AsyncClient, url: str) -> httpx.Response:
        return httpx.Response(200, json=jwks_document(published), request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx.AsyncClient, "get", fake_get)
    keys = JwksKeySet(url="http://auth/jwks", min_refresh_s=10, clock=lambda: now[0])
    assert await keys.key(first.kid) is not None
    published.append(second)  # rotated a moment later
    for _ in range(50):  # made-up kids within the interval: no fetch
        assert await keys.key("made-up") is None
    assert keys.fetches == 1
    now[0] = 11
    assert await keys.key(second.kid) is not None
    assert keys.fetches == 2


def test_jwks_publishes_retiring_keys_until_retired_and_never_private_parts() -> None:
    old, new = generate_key(now=1), generate_key(now=2)
    retiring = type(old)(old.kid, old.private_key, old.created, retire_at=100)
    assert [k["kid"] for k in jwks_document([retiring, new], now=50)["keys"]] == [old.kid, new.kid]
    assert [k["kid"] for k in jwks_document([retiring, new], now=101)["keys"]] == [new.kid]
    assert all("d" not in k for k in jwks_document([new])["keys"])
    assert SigningKeyRing.in_memory([retiring, new]).active().kid == new.kid


def test_test_keys_settings_are_a_jwks() -> None:
    assert json.loads(TestKeys().settings()["jwks"])["keys"][0]["alg"] == "EdDSA"
