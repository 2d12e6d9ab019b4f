"""The signing keys of user tokens: Ed25519 key pairs in a key file only user-auth reads.

The key file (written 0600 by `ecomctl up` / `ecomctl keys rotate`) is JSON:

    {"keys": [{"kid": "...", "created": 1765000000, "retire_at": null,
               "private_key_pem": "-----BEGIN PRIVATE KEY-----..."}]}

The newest key whose `created` has come and whose `retire_at` has not signs; every key
whose `retire_at` is unset or still ahead is published in the JWKS document, so tokens
signed by a key that was just rotated out stay verifiable until they expire. A rotation
dates the new key PUBLISH_LEAD_S ahead: it is in the JWKS at once and signs only then
(publish, then sign), so verifiers can learn it before they meet it. user-auth re-reads
the file when it changes, so a rotation needs no restart.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"
# How long a rotated-in key is published before it signs: more than a verifier's minimum
# time between two JWKS fetches (ecomkit.jwks, 1 s).
PUBLISH_LEAD_S = 2.0


class KeyConfigError(Exception):
    """The key file is missing or unusable; the message is one line for the operator."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    created: float
    retire_at: float | None

    def published(self, now: float) -> bool:
        return self.retire_at is None or self.retire_at > now

    def may_sign(self, now: float) -> bool:
        return self.created <= now and self.published(now)

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def generate_key(now: float | None = None) -> SigningKey:
    created = time.time() if now is None else now
    kid = time.strftime("%Y%m%dT%H%M%S", time.gmtime(created)) + "-" + os.urandom(3).hex()
    return SigningKey(kid, Ed25519PrivateKey.generate(), created, None)


def parse_key_file(text: str) -> list[SigningKey]:
    try:
        entries = json.loads(text)["keys"]
        keys = [
            SigningKey(
                kid=str(entry["kid"]),
                private_key=_ed25519(entry["private_key_pem"]),
                created=float(entry["created"]),
                retire_at=None if entry.get("retire_at") is None else float(entry["retire_at"]),
            )
            for entry in entries
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyConfigError(f"the key file is not a valid key ring ({exc})") from exc
    return keys


def _ed25519(pem: str) -> Ed25519PrivateKey:
    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("only Ed25519 keys are accepted")
    return key


def jwks_document(keys: list[SigningKey], now: float | None = None) -> dict[str, Any]:
    """The public halves of every key still published (never a private part)."""
    at = time.time() if now is None else now
    return {"keys": [key.public_jwk() for key in keys if key.published(at)]}


def active_key(keys: list[SigningKey], now: float) -> SigningKey:
    signing = [k for k in keys if k.may_sign(now)]
    if not signing:
        raise KeyConfigError("no active signing key")
    return max(signing, key=lambda k: k.created)


class SigningKeyRing:
    """user-auth's view of the key file, re-read when its modification time changes."""

    def __init__(self, path: str | Path | None, keys: list[SigningKey] | None = None) -> None:
        self._path = Path(path) if path is not None else None
        self._stamp: tuple[int, int] | None = None
        self._keys: list[SigningKey] = list(keys or [])
        self._reload_if_changed()

    @classmethod
    def in_memory(cls, keys: list[SigningKey]) -> SigningKeyRing:
        """Fixed keys, no file (tests)."""
        return cls(None, keys)

    def _reload_if_changed(self) -> None:
        if self._path is None:
            return
        try:
            stat = os.stat(self._path)
        except OSError as exc:
            raise KeyConfigError(f"cannot read the key file {self._path}: {exc.strerror}") from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            keys = parse_key_file(self._path.read_text(encoding="utf-8"))
            if not any(key.retire_at is None for key in keys):
                raise KeyConfigError(f"the key file {self._path} has no active key")
            self._keys, self._stamp = keys, stamp

    def active(self, now: float | None = None) -> SigningKey:
        """The newest key that may sign now (see the module's docstring)."""
        self._reload_if_changed()
        return active_key(self._keys, time.time() if now is None else now)

    def jwks(self) -> dict[str, Any]:
        self._reload_if_changed()
        return jwks_document(self._keys)
