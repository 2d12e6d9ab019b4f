"""Who may be listed: known service names at URLs on allowed hosts.

Every caller of the registry trusts what it lists (the gateway sends logins and tokens
there, services trust product-catalog's prices), so an instance is admitted only when its
service is one the stack runs and its URL is a plain `http(s)://host:port` on a host the
stack uses. Pure functions: the HTTP layer and the gateway share the URL rule's meaning.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")


class NotAdmitted(ValueError):
    """The instance may not be registered; the message is safe to show the caller."""


def check_service(service: str, known: Collection[str]) -> None:
    """`known` empty = any name (a registry run outside a stack, e.g. in unit tests)."""
    if known and service not in known:
        raise NotAdmitted(f"unknown service {service!r}: not part of this stack")


def check_instance_url(url: str, allowed_hosts: Collection[str]) -> str:
    """The URL normalised (no trailing slash), or `NotAdmitted` saying what is wrong."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise NotAdmitted(f"not a valid instance URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise NotAdmitted("an instance URL is http(s)://host:port")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise NotAdmitted("an instance URL carries no credentials, query or fragment")
    if parts.path not in ("", "/"):
        raise NotAdmitted("an instance URL has no path")
    if parts.hostname not in allowed_hosts:
        raise NotAdmitted(f"host {parts.hostname!r} is not one of the stack's hosts")
    return url.rstrip("/")
