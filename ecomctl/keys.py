"""The workspace's token keys and service credentials (`ecomctl keys`, `ecomctl up`).

Nothing is built in: the first `up` generates an Ed25519 signing key and one client
secret per service into `.ecomctl/keys/` (files 0600). Only user-auth is given the key
file (it signs user tokens and publishes the public halves as its JWKS); every service
gets its own client secret, with which it asks user-auth for a token to call another.

The key file's format is the kit's (ecomkit.keys): the newest key that may sign now signs;
a rotated-out key stays published until its `retire_at` (the access-token lifetime plus a
margin), then `keys rotate` / `keys list` call it retired and the next rotation drops it.
A new key is published PUBLISH_LEAD_S before it signs (state "next"), so verifiers learn
it before any token carries it. user-auth re-reads the file when it changes: no restart.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecomctl.workspace import Workspace

KEYS_DIR = "keys"
SIGNING_KEYS = "jwt-signing-keys.json"
CLIENT_SECRETS = "service-clients.json"
ACCESS_TOKEN_TTL_S = 900  # the kit's default access-token lifetime
RETIRE_MARGIN_S = 60  # clock skew and requests in flight
PUBLISH_LEAD_S = 2.0  # the kit's ecomkit.keys.PUBLISH_LEAD_S: published, then signing


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    created: float
    retire_at: float | None
    state: str  # next | active | retiring | retired

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "state": self.state,
            "created": _iso(self.created),
            "retireAt": _iso(self.retire_at) if self.retire_at is not None else None,
        }


def keys_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / KEYS_DIR


def signing_keys_path(workspace: Workspace) -> Path:
    """The key file, generated with one key on first use."""
    path = keys_dir(workspace) / SIGNING_KEYS
    if not path.is_file():
        _write_private(path, {"keys": [_new_key(time.time())]})
    return path


def client_secrets_path(workspace: Workspace, services: list[str]) -> Path:
    """The services' client secrets; a service without one gets one now."""
    path = keys_dir(workspace) / CLIENT_SECRETS
    stored: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    missing = [name for name in services if name not in stored]
    if missing or not path.is_file():
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        _write_private(path, stored)
    return path


def client_secret(workspace: Workspace, service: str, services: list[str]) -> str:
    stored: dict[str, str] = json.loads(client_secrets_path(workspace, services).read_text())
    return stored[service]


def list_keys(*, workspace: Workspace, now: float | None = None) -> list[KeyInfo]:
    at = time.time() if now is None else now
    entries = _entries(signing_keys_path(workspace))
    active = _active_kid(entries, at)
    return [_info(entry, active, at) for entry in entries]


def rotate_keys(
    *, workspace: Workspace, access_ttl_s: int = ACCESS_TOKEN_TTL_S, now: float | None = None
) -> list[KeyInfo]:
    """A new signing key, published now and signing PUBLISH_LEAD_S from now; the current
    one signs until then and stays verifiable for the access-token lifetime after; keys
    retired before now are dropped. Returns the key ring after the rotation."""
    at = time.time() if now is None else now
    path = signing_keys_path(workspace)
    entries = [e for e in _entries(path) if e["retire_at"] is None or e["retire_at"] > at]
    for entry in entries:
        if entry["retire_at"] is None:
            entry["retire_at"] = at + access_ttl_s + RETIRE_MARGIN_S
    entries.append(_new_key(at + PUBLISH_LEAD_S))
    _write_private(path, {"keys": entries})
    return list_keys(workspace=workspace, now=at)


def operator_token(
    workspace: Workspace,
    *,
    issuer: str,
    audience: str,
    ttl_s: int = 60,
    roles: tuple[str, ...] = ("SERVICE",),
) -> str:
    """A short token signed with the workspace's active key, for ecomctl's own look-ups
    (SERVICE) and a release's weight changes at the registry (ADMIN): the operator holds
    the keys anyway; no service holds a signing key."""
    entries = _entries(signing_keys_path(workspace))
    entry = next(e for e in reversed(entries) if e["kid"] == _active_kid(entries, time.time()))
    key = serialization.load_pem_private_key(entry["private_key_pem"].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    now = int(time.time())
    claims = {
        "sub": "0",
        "username": "ecomctl",
        "roles": list(roles),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    header = _b64json({"alg": "EdDSA", "typ": "JWT", "kid": entry["kid"]})
    signing_input = f"{header}.{_b64json(claims)}"
    return f"{signing_input}.{_b64(key.sign(signing_input.encode()))}"


def _new_key(now: float) -> dict[str, Any]:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + "-" + secrets.token_hex(3)
    return {"kid": kid, "created": now, "retire_at": None, "private_key_pem": pem.decode()}


def _entries(path: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(path.read_text())["keys"]
    return entries


def _active_kid(entries: list[dict[str, Any]], now: float) -> str | None:
    """The kit's rule (ecomkit.keys.active_key): the newest key created and not retired."""
    signing = [
        e
        for e in entries
        if e["created"] <= now and (e["retire_at"] is None or e["retire_at"] > now)
    ]
    return max(signing, key=lambda e: e["created"])["kid"] if signing else None


def _info(entry: dict[str, Any], active: str | None, now: float) -> KeyInfo:
    retire_at = entry["retire_at"]
    if entry["kid"] == active:
        state = "active"
    elif entry["created"] > now:
        state = "next"
    elif retire_at is not None and retire_at > now:
        state = "retiring"
    else:
        state = "retired"
    return KeyInfo(entry["kid"], entry["created"], retire_at, state)


def _write_private(path: Path, document: object) -> None:
    """Written 0600 from the first byte, then renamed into place (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    os.replace(tmp, path)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
