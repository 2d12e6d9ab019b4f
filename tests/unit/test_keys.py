"""The workspace's signing keys and client secrets (ecomctl.keys), read by the kit."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

from ecomkit.auth import TokenVerifier
from ecomkit.jwks import JwksKeySet
from ecomkit.keys import SigningKeyRing

from ecomctl.keys import (
    client_secrets_path,
    list_keys,
    operator_token,
    rotate_keys,
    signing_keys_path,
)
from ecomctl.workspace import Workspace


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_generates_a_private_key_file_and_secrets(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    path = signing_keys_path(ws)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert [k.state for k in list_keys(workspace=ws)] == ["active"]
    assert signing_keys_path(ws).read_text() == path.read_text()  # kept, not regenerated
    secrets = client_secrets_path(ws, ["order", "notification"])
    assert mode(secrets) == 0o600
    first = json.loads(secrets.read_text())
    again = json.loads(client_secrets_path(ws, ["order", "notification", "payment"]).read_text())
    assert first["order"] == again["order"] and len(again) == 3
    assert first["order"] != first["notification"]


def test_rotation_keeps_the_old_key_for_the_token_lifetime_then_retires_it(
    tmp_path: Path,
) -> None:
    ws = Workspace(tmp_path / "ws")
    (old,) = list_keys(workspace=ws, now=1000)
    ring = rotate_keys(workspace=ws, access_ttl_s=900, now=2000)
    assert (ring[0].kid, ring[0].state) == (old.kid, "retiring")
    assert ring[1].state == "active" and ring[0].retire_at == 2000 + 900 + 60
    assert [k.state for k in list_keys(workspace=ws, now=3000)] == ["retired", "active"]
    published = SigningKeyRing(signing_keys_path(ws)).jwks()  # the kit reads the same file
    assert ring[1].kid in [k["kid"] for k in published["keys"]]
    later = rotate_keys(workspace=ws, access_ttl_s=900, now=4000)
    assert old.kid not in [k.kid for k in later]  # retired keys are dropped
    assert [k.state for k in later] == ["retiring", "active"]


def test_operator_token_verifies_with_the_published_keys(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    rotate_keys(workspace=ws)
    jwks = JwksKeySet(document=SigningKeyRing(signing_keys_path(ws)).jwks())
    verifier = TokenVerifier(jwks, issuer="iss", audiences=["order"])
    token = operator_token(ws, issuer="iss", audience="order")
    claims = asyncio.run(verifier.verify(token))
    assert claims.has_role("SERVICE") and claims.user_id == 0
