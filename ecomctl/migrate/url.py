"""Database URLs: parsed from the command line, or built from a stack's service.

Accepted forms: ``postgresql://user:pass@host:port/db?currentSchema=s``,
``mysql://...`` / ``mariadb://...``, each also with a ``jdbc:`` prefix so a
Flyway ``flyway.url`` can be pasted as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ecomctl.errors import UsageError
from ecomctl.stack.model import Stack

Dialect = Literal["postgresql", "mysql"]
_SCHEMES: dict[str, Dialect] = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
_DEFAULT_PORT: dict[Dialect, int] = {"postgresql": 5432, "mysql": 3306}
_INFRA_DIALECT: dict[str, Dialect] = {"postgres": "postgresql", "mysql": "mysql"}


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: Dialect
    host: str
    port: int
    database: str
    user: str
    password: str = ""
    schema: str | None = None  # PostgreSQL schema; MySQL's schema is the database

    def redacted(self) -> str:
        """The URL without its password, for messages and JSON output."""
        return f"{self.dialect}://{self.user}@{self.host}:{self.port}/{self.database}"

    def jdbc(self) -> str:
        kind = "postgresql" if self.dialect == "postgresql" else "mariadb"
        suffix = f"?currentSchema={self.schema}" if self.schema else ""
        return f"jdbc:{kind}://{self.host}:{self.port}/{self.database}{suffix}"

    def with_database(self, database: str) -> DatabaseUrl:
        return replace(self, database=database)

    def __str__(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"{self.dialect}://{auth}@{self.host}:{self.port}/{self.database}"


def parse_url(text: str) -> DatabaseUrl:
    raw = text.removeprefix("jdbc:")
    parts = urlsplit(raw)
    dialect = _SCHEMES.get(parts.scheme.lower())
    if dialect is None:
        raise UsageError(
            f"unsupported database URL scheme {parts.scheme!r}",
            hint="use postgresql://user:pass@host:port/db or mysql://user:pass@host:port/db",
        )
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise UsageError(f"the URL {parts.scheme}://... names no database")
    query = parse_qs(parts.query)
    user = unquote(parts.username or (query.get("user") or [""])[0])
    password = unquote(parts.password or (query.get("password") or [""])[0])
    schemas = query.get("currentSchema") or query.get("schema") or []
    schema = schemas[0] if schemas else None
    try:
        port = parts.port or _DEFAULT_PORT[dialect]
    except ValueError as bad:
        raise UsageError(f"bad port in database URL: {bad}") from None
    return DatabaseUrl(
        dialect=dialect,
        host=parts.hostname or "127.0.0.1",
        port=port,
        database=database,
        user=user or ("postgres" if dialect == "postgresql" else "root"),
        password=password,
        schema=schema,
    )


def service_url(
    stack: Stack, service: str, *, port_offset: int = 0, host: str = "127.0.0.1"
) -> DatabaseUrl:
    """The URL of a service's own database in a running stack.

    User and password come from the infra spec, the port from it plus the offset.
    """
    spec = stack.services.get(service)
    if spec is None:
        known = ", ".join(sorted(name for name, s in stack.services.items() if s.database))
        raise UsageError(f"unknown service {service!r}", hint=f"services with a database: {known}")
    if not spec.database:
        raise UsageError(f"service {service!r} has no SQL database in the stack")
    infra_name = next((u for u in spec.uses if u in _INFRA_DIALECT), None)
    if infra_name is None or infra_name not in stack.infra:
        raise UsageError(f"service {service!r} uses neither postgres nor mysql in the stack")
    infra = stack.infra[infra_name]
    return DatabaseUrl(
        dialect=_INFRA_DIALECT[infra_name],
        host=host,
        port=infra.port + port_offset,
        database=spec.database,
        user=infra.user,
        password=infra.password,
    )
