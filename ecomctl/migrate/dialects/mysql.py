"""MySQL and MariaDB through PyMySQL."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import pymysql

from ecomctl.migrate.dialects.base import Database, DatabaseError
from ecomctl.migrate.splitter import Statement, split_mysql
from ecomctl.migrate.url import DatabaseUrl


class MySQLDatabase(Database):
    name = "mysql"
    transactional_ddl = False  # DDL commits implicitly: a failure is recorded, then repaired

    def __init__(self, url: DatabaseUrl, *, connect_timeout: float = 10) -> None:
        super().__init__(url)
        try:
            self.conn = pymysql.connect(
                host=url.host,
                port=url.port,
                user=url.user,
                password=url.password,
                database=url.database,
                autocommit=True,
                charset="utf8mb4",
                connect_timeout=int(connect_timeout),
            )
        except pymysql.Error as error:
            raise DatabaseError(_message(error)) from None

    def close(self) -> None:
        with suppress(pymysql.Error):
            self.conn.close()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, params)
                while cursor.nextset():  # drain CALL results so the next statement can run
                    pass
        except pymysql.Error as error:
            raise DatabaseError(_message(error)) from None

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        except pymysql.Error as error:
            raise DatabaseError(_message(error)) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self.conn.begin()
        except pymysql.Error as error:
            raise DatabaseError(_message(error)) from None
        try:
            yield
        except BaseException:
            with suppress(pymysql.Error):
                self.conn.rollback()
            raise
        try:
            self.conn.commit()
        except pymysql.Error as error:
            raise DatabaseError(_message(error)) from None

    def current_user(self) -> str:
        return str(self.query("SELECT SUBSTRING_INDEX(USER(), '@', 1)")[0][0])

    def default_schema(self) -> str:
        return str(self.query("SELECT DATABASE()")[0][0])

    def database_name(self) -> str:
        return self.default_schema()

    def server_version(self) -> str:
        return str(self.query("SELECT VERSION()")[0][0])

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = %s",
            [schema, table],
        )
        return bool(rows[0][0])

    def schema_objects(self, schema: str) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "UNION ALL SELECT routine_name FROM information_schema.routines "
            "WHERE routine_schema = %s",
            [schema, schema],
        )
        return [str(r[0]) for r in rows]

    def ensure_schema(self, schema: str) -> None:
        self.execute(f"CREATE DATABASE IF NOT EXISTS {self.quote(schema)}")

    def split(self, script: str) -> list[Statement]:
        return split_mysql(script)

    def _lock_name(self, schema: str, table: str) -> str:
        # GET_LOCK names are server-wide and at most 64 characters.
        return f"ecomctl-migrate-{zlib.crc32(f'{schema}.{table}'.encode()):08x}"

    def lock(self, schema: str, table: str, timeout_s: float) -> None:
        got = self.query(
            "SELECT GET_LOCK(%s, %s)", [self._lock_name(schema, table), int(timeout_s)]
        )[0][0]
        if got != 1:
            raise DatabaseError(f"timed out after {timeout_s:.0f}s waiting for the migration lock")

    def unlock(self, schema: str, table: str) -> None:
        self.query("SELECT RELEASE_LOCK(%s)", [self._lock_name(schema, table)])

    def clean_statements(self, schema: str) -> list[str]:
        q = self.quote(schema)
        drops = ["SET FOREIGN_KEY_CHECKS = 0"]
        for name, kind in self.query(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %s "
            "ORDER BY table_type DESC",
            [schema],
        ):
            what = "VIEW" if kind == "VIEW" else "SEQUENCE" if kind == "SEQUENCE" else "TABLE"
            drops.append(f"DROP {what} IF EXISTS {q}.{self.quote(name)}")
        for name, kind in self.query(
            "SELECT routine_name, routine_type FROM information_schema.routines "
            "WHERE routine_schema = %s",
            [schema],
        ):
            drops.append(f"DROP {kind} IF EXISTS {q}.{self.quote(name)}")
        for (name,) in self.query(
            "SELECT event_name FROM information_schema.events WHERE event_schema = %s", [schema]
        ):
            drops.append(f"DROP EVENT IF EXISTS {q}.{self.quote(name)}")
        drops.append("SET FOREIGN_KEY_CHECKS = 1")
        return drops


def _message(error: pymysql.Error) -> str:
    args: tuple[object, ...] = tuple(getattr(error, "args", ()))
    if len(args) >= 2:
        return f"{args[1]} (error {args[0]})"
    return str(error) or type(error).__name__
