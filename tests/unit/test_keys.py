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
    PUBLISH_LEAD_S,
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
    (old,) = list_keys(workspace=ws)
    at = old.created + 1000  # the first key is dated by the clock; later times follow it
    ring = rotate_keys(workspace=ws, access_ttl_s=900, now=at)
    # Published at once, signing PUBLISH_LEAD_S later: the old key signs until then.
    assert [(k.kid, k.state) for k in ring] == [(old.kid, "active"), (ring[1].kid, "next")]
    assert ring[0].retire_at == at + 900 + 60
    at_lead = list_keys(workspace=ws, now=at + PUBLISH_LEAD_S)
    assert [k.state for k in at_lead] == ["retiring", "active"]
    assert [k.state for k in list_keys(workspace=ws, now=at + 1000)] == ["retired", "active"]
    kit_ring = SigningKeyRing(signing_keys_path(ws))  # the kit reads the same file
    assert ring[1].kid in [k["kid"] for k in kit_ring.jwks()["keys"]]
    assert kit_ring.active(now=at + 1).kid == old.kid
    assert kit_ring.active(now=at + PUBLISH_LEAD_S).kid == ring[1].kid
    later = rotate_keys(workspace=ws, access_ttl_s=900, now=at + 2000)
    assert old.kid not in [k.kid for k in later]  # retired keys are dropped
    assert [k.state for k in later] == ["active", "next"]


def test_operator_token_verifies_with_the_published_keys(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    rotate_keys(workspace=ws)
    jwks = JwksKeySet(document=SigningKeyRing(signing_keys_path(ws)).jwks())
    verifier = TokenVerifier(jwks, issuer="iss", audiences=["order"])
    token = operator_token(ws, issuer="iss", audience="order")
    claims = asyncio.run(verifier.verify(token))
    assert claims.has_role("SERVICE") and claims.user_id == 0
