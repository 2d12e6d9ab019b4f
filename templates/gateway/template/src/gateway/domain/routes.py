"""The route table: which upstream serves a path, and which requests need no token.

The table is data (`routes.json`, or ECOM_GATEWAY_ROUTES_FILE) so adding a service is an
edit to a file, not to code. A route owns the paths under its `prefixes`, and the paths of
its `patterns` (`*` is one path segment), which win over any prefix: so
`/api/products/*/similar` can be served by another service than `/api/products`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ROUTES_FILE = Path(__file__).resolve().parent.parent / "routes.json"


@dataclass(frozen=True)
class PublicRule:
    """Requests with one of `methods` on one of `paths` pass without a token.

    A path ending in `/**` matches everything below it; any other path matches exactly.
    """

    methods: frozenset[str]
    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def matches(self, method: str, path: str) -> bool:
        if method not in self.methods:
            return False
        return path in self.exact or path.startswith(self.prefixes)


@dataclass(frozen=True)
class PathSet:
    """Paths as in a public rule (`/**` = everything below), whatever the method."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def matches(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.prefixes)


@dataclass(frozen=True)
class Route:
    id: str
    service: str
    prefixes: tuple[str, ...]
    public: tuple[PublicRule, ...] = ()
    cache_public_get: bool = False
    rate_limited: bool = True
    patterns: tuple[tuple[str, ...], ...] = ()  # segments; "*" matches any one segment
    # Credentials pass here (login, register, refresh, reset): a per-IP limit of its own,
    # below the general one, and answers never cached anywhere (`Cache-Control: no-store`).
    sensitive: PathSet = PathSet()

    def owns(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    def is_public(self, method: str, path: str) -> bool:
        return any(rule.matches(method, path) for rule in self.public)


@dataclass
class RouteTable:
    routes: list[Route]
    # path prefix -> route, longest first; built once, matched per request.
    _by_prefix: list[tuple[str, Route]] = field(init=False, repr=False)

    _patterns: list[tuple[tuple[str, ...], Route]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pairs = [(p, r) for r in self.routes for p in r.prefixes]
        self._by_prefix = sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)
        self._patterns = [(pattern, r) for r in self.routes for pattern in r.patterns]

    def match(self, path: str) -> Route | None:
        if self._patterns:
            segments = path.split("/")
            for pattern, route in self._patterns:
                if _fits(segments, pattern):
                    return route
        for prefix, route in self._by_prefix:
            if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                return route
        return None

    @property
    def services(self) -> set[str]:
        return {r.service for r in self.routes}


def _fits(segments: list[str], pattern: tuple[str, ...]) -> bool:
    return len(segments) == len(pattern) and all(
        (want == "*" and have != "") or want == have
        for have, want in zip(segments, pattern, strict=True)
    )


def _paths(raw: list[Any]) -> PathSet:
    paths = [str(p) for p in raw]
    return PathSet(
        exact=frozenset(p for p in paths if not p.endswith("/**")),
        prefixes=tuple(p[:-2] for p in paths if p.endswith("/**")),
    )


def _rule(raw: dict[str, Any]) -> PublicRule:
    paths = _paths(raw["paths"])
    return PublicRule(
        methods=frozenset(str(m).upper() for m in raw["methods"]),
        exact=paths.exact,
        prefixes=paths.prefixes,
    )


def parse_routes(document: dict[str, Any]) -> RouteTable:
    routes = [
        Route(
            id=str(raw["id"]),
            service=str(raw["service"]),
            prefixes=tuple(str(p).rstrip("/") for p in raw["prefixes"]),
            public=tuple(_rule(rule) for rule in raw.get("public", [])),
            cache_public_get=bool(raw.get("cache_public_get", False)),
            rate_limited=bool(raw.get("rate_limited", True)),
            patterns=tuple(tuple(str(p).rstrip("/").split("/")) for p in raw.get("patterns", [])),
            sensitive=_paths(raw.get("sensitive", [])),
        )
        for raw in document["routes"]
    ]
    return RouteTable(routes)


def load_routes(path: Path | None = None) -> RouteTable:
    source = path or DEFAULT_ROUTES_FILE
    return parse_routes(json.loads(source.read_text(encoding="utf-8")))
