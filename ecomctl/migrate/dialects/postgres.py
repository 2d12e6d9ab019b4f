"""PostgreSQL through psycopg 3."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql as pgsql

from ecomctl.migrate.dialects.base import Database, DatabaseError
from ecomctl.migrate.splitter import Statement, split_postgres
from ecomctl.migrate.url import DatabaseUrl

# Statements PostgreSQL refuses inside a transaction block.
_NON_TRANSACTIONAL = re.compile(
    r"^\s*(CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|REINDEX\b.*\bCONCURRENTLY"
    r"|VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+SYSTEM|CREATE\s+TABLESPACE|DROP\s+TABLESPACE)",
    re.IGNORECASE | re.DOTALL,
)
_LOCK_BASE = 77431708279161  # a fixed namespace so our advisory keys do not clash with others'


class PostgresDatabase(Database):
    name = "postgresql"
    transactional_ddl = True

    def __init__(self, url: DatabaseUrl, *, connect_timeout: float = 10) -> None:
        super().__init__(url)
        try:
            self.conn = psycopg.connect(
                host=url.host,
                port=url.port,
                user=url.user,
                password=url.password or None,
                dbname=url.database,
                autocommit=True,
                connect_timeout=int(connect_timeout),
                application_name="ecomctl-migrate",
            )
        except psycopg.Error as error:
            raise DatabaseError(_message(error)) from None
        if url.schema:
            self.ensure_schema(url.schema)
            self.execute(
                pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(url.schema)).as_string()
            )

    def close(self) -> None:
        self.conn.close()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        try:
            self.conn.execute(sql.encode(), params)
        except psycopg.Error as error:
            raise DatabaseError(_message(error)) from None

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql.encode(), params).fetchall()
        except psycopg.Error as error:
            raise DatabaseError(_message(error)) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self.conn.transaction():
                yield
        except psycopg.Error as error:
            raise DatabaseError(_message(error)) from None

    def current_user(self) -> str:
        return str(self.query("SELECT current_user")[0][0])

    def default_schema(self) -> str:
        return self.url.schema or str(self.query("SELECT current_schema()")[0][0])

    def database_name(self) -> str:
        return str(self.query("SELECT current_database()")[0][0])

    def server_version(self) -> str:
        return str(self.query("SHOW server_version")[0][0])

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(
            self.query(
                "SELECT to_regclass(%s) IS NOT NULL", [f"{self.quote(schema)}.{self.quote(table)}"]
            )[0][0]
        )

    def schema_objects(self, schema: str) -> list[str]:
        rows = self.query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r','v','m','S','f','p') "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') "
            "UNION ALL SELECT p.proname FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
            [schema, schema],
        )
        return [str(r[0]) for r in rows]

    def ensure_schema(self, schema: str) -> None:
        self.execute(
            pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(schema)).as_string()
        )

    def split(self, script: str) -> list[Statement]:
        return split_postgres(script)

    def needs_autocommit(self, statements: Sequence[Statement]) -> bool:
        return any(_NON_TRANSACTIONAL.match(s.sql) for s in statements)

    def _lock_key(self, schema: str, table: str) -> int:
        return _LOCK_BASE + zlib.crc32(f"{schema}.{table}".encode())

    def lock(self, schema: str, table: str, timeout_s: float) -> None:
        self.execute(f"SET lock_timeout = {int(timeout_s * 1000)}")
        try:
            self.query("SELECT pg_advisory_lock(%s)", [self._lock_key(schema, table)])
        finally:
            self.execute("SET lock_timeout = 0")

    def unlock(self, schema: str, table: str) -> None:
        self.query("SELECT pg_advisory_unlock(%s)", [self._lock_key(schema, table)])

    def clean_statements(self, schema: str) -> list[str]:
        q = self.quote(schema)
        not_extension = (
            "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
        )
        drops: list[str] = []
        for kind, relkinds in (
            ("MATERIALIZED VIEW", "'m'"),
            ("VIEW", "'v'"),
            ("TABLE", "'r','p','f'"),
            ("SEQUENCE", "'S'"),
        ):
            rows = self.query(
                f"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                f"WHERE n.nspname = %s AND c.relkind IN ({relkinds}) AND c.relispartition = false "
                f"AND {not_extension.format(oid='c.oid')}",
                [schema],
            )
            drops += [f"DROP {kind} IF EXISTS {q}.{self.quote(r[0])} CASCADE" for r in rows]
        routines = self.query(
            "SELECT p.prokind, p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            f"WHERE n.nspname = %s AND {not_extension.format(oid='p.oid')}",
            [schema],
        )
        kinds = {"f": "FUNCTION", "p": "PROCEDURE", "a": "AGGREGATE", "w": "FUNCTION"}
        drops += [f"DROP {kinds[str(kind)]} IF EXISTS {sig} CASCADE" for kind, sig in routines]
        types = self.query(
            "SELECT t.typname, t.typtype FROM pg_type t "
            "JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = %s AND t.typtype IN ('e','d','c','r') "
            "AND (t.typrelid = 0 "
            "OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') "
            f"AND {not_extension.format(oid='t.oid')}",
            [schema],
        )
        drops += [
            f"DROP {'DOMAIN' if typtype == 'd' else 'TYPE'} IF EXISTS "
            f"{q}.{self.quote(name)} CASCADE"
            for name, typtype in types
        ]
        return drops


def _message(error: psycopg.Error) -> str:
    diag = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag else None
    state = getattr(error, "sqlstate", None)
    lines = str(error).strip().splitlines()
    text = primary or (lines[0] if lines else type(error).__name__)
    return f"{text} (SQLSTATE {state})" if state else text
