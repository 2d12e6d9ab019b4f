"""`ecomctl users create-admin`: the first ADMIN, before any admin can grant the role.

It writes to the user-auth database directly (the service's API would need an
admin to make one), hashing the password exactly as the service does
(`ecomkit.passwords`, Argon2id with argon2-cffi's defaults). Running it twice
with the same credentials is a no-op; a username that is taken otherwise is
an error, never an overwrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ecomctl.errors import UsageError, UserError
from ecomctl.migrate.url import DatabaseUrl, service_url
from ecomctl.stack.model import Stack

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,50}$")  # the user-auth service's own rule
MIN_PASSWORD_LENGTH = 8
ADMIN_ROLES = ("USER", "ADMIN")


@dataclass(frozen=True)
class AdminResult:
    user_id: int
    username: str
    created: bool  # False: the same admin already existed
    database: str  # redacted URL


def _hasher() -> Any:
    try:
        from ecomkit import passwords  # the service's own hashing, when the kit is installed

        return passwords
    except ImportError:
        from argon2 import PasswordHasher

        return _Argon2(PasswordHasher())


class _Argon2:
    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False


def check_credentials(username: str, password: str) -> None:
    if not USERNAME.match(username):
        raise UsageError(f"username {username!r}: 3-50 letters, digits, '_', '.' or '-'")
    if len(password) < MIN_PASSWORD_LENGTH or not (
        re.search(r"[A-Za-z]", password) and re.search(r"\d", password)
    ):
        raise UsageError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters, "
            "with letters and digits"
        )


def create_admin(
    *,
    stack: Stack,
    username: str,
    password: str,
    email: str | None = None,
    port_offset: int = 0,
    service: str = "user-auth",
) -> AdminResult:
    check_credentials(username, password)
    url = service_url(stack, service, port_offset=port_offset)
    hasher = _hasher()
    with _connect(url) as conn, conn.cursor() as cursor:
        try:
            cursor.execute("SELECT id, password FROM users WHERE username = %s", (username,))
            row = cursor.fetchone()
            if row is not None:
                return _existing(cursor, url, username, password, row, hasher)
            cursor.execute(
                "INSERT INTO users (username, email, password) VALUES (%s, %s, %s)",
                (username, email or f"{username}@localhost", hasher.hash(password)),
            )
            user_id = int(cursor.lastrowid)
            cursor.executemany(
                "INSERT INTO user_roles (user_id, role) VALUES (%s, %s)",
                [(user_id, role) for role in ADMIN_ROLES],
            )
            conn.commit()
        except _db_errors() as exc:
            conn.rollback()
            raise _explain(exc, url) from None
    return AdminResult(user_id, username, True, url.redacted())


def _existing(
    cursor: Any, url: DatabaseUrl, username: str, password: str, row: Any, hasher: Any
) -> AdminResult:
    user_id, password_hash = int(row[0]), str(row[1])
    cursor.execute("SELECT role FROM user_roles WHERE user_id = %s", (user_id,))
    roles = {r[0] for r in cursor.fetchall()}
    if "ADMIN" in roles and hasher.verify(password_hash, password):
        return AdminResult(user_id, username, False, url.redacted())
    raise UserError(
        f"user {username!r} already exists" + ("" if "ADMIN" in roles else " and is not an ADMIN"),
        hint="choose another username; roles of existing users change through the API",
    )


def _connect(url: DatabaseUrl) -> Any:
    import pymysql

    if url.dialect != "mysql":
        raise UsageError(f"the user-auth database must be MySQL/MariaDB, not {url.dialect}")
    try:
        return pymysql.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password,
            database=url.database,
            connect_timeout=5,
            autocommit=False,
        )
    except pymysql.MySQLError as exc:
        raise UserError(
            f"cannot reach the user-auth database at {url.redacted()} ({exc.args[-1]})",
            hint="start the stack first (`ecomctl up`); pass --port-offset if it runs with one",
        ) from None


def _db_errors() -> tuple[type[Exception], ...]:
    import pymysql

    return (pymysql.MySQLError,)


def _explain(exc: Exception, url: DatabaseUrl) -> UserError:
    message = str(exc.args[-1]) if exc.args else str(exc)
    if "doesn't exist" in message:
        return UserError(
            f"{url.redacted()} has no users table yet",
            hint="`ecomctl up` applies the user-auth migrations; or `ecomctl migrate -s user-auth`",
        )
    if "Duplicate" in message:
        return UserError(f"cannot create the admin: {message}")
    return UserError(f"cannot create the admin in {url.redacted()}: {message}")
