"""`python -m user_auth.entrypoints.cli create-admin --username U --password-stdin [--json]`

What `ecomctl users create-admin` runs with the service's own python and ECOM_*
environment: the first ADMIN needs no HTTP endpoint, and ecomctl needs to know
nothing of this service's tables. `grant-admin --username U` makes an existing
user an ADMIN (its password unchanged).

The password comes on stdin (`--password-stdin`) so it never shows in `ps`;
`--password P` is kept for a person typing the command.

Exit codes: 0 done (or the same admin already exists); 1 refused (the username
belongs to someone else); 2 bad input; 3 the database cannot be reached; 4 the
database refused (e.g. not migrated). Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import asdict, dataclass

from ecomkit.db import create_engine
from ecomkit.errors import DomainError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from user_auth.bootstrap import bootstrap
from user_auth.domain import commands
from user_auth.domain.errors import UsernameTaken
from user_auth.domain.model import USERNAME_PATTERN, Role, password_problems
from user_auth.service_layer import messagebus
from user_auth.settings import Settings

EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_DATABASE = 1, 2, 3, 4


@dataclass(frozen=True)
class AdminOutcome:
    user_id: int
    username: str
    created: bool  # False: nothing new was created


class AdminRefused(DomainError):
    """The username is someone else's: never overwritten from here."""


async def create_admin(
    bus: messagebus.MessageBus, username: str, password: str, email: str
) -> AdminOutcome:
    """Registers an ADMIN; the same admin with the same password again is a no-op."""
    async with bus.deps.uow() as uow:
        user = await uow.users.get_by_username(username)
    if user is None:
        account = commands.NewAccount(username=username, email=email, password=password)
        try:
            user = await bus.handle(commands.RegisterUser(account, roles=("USER", "ADMIN")))
        except UsernameTaken:  # registered between the lookup and the insert
            raise AdminRefused(f"user {username!r} already exists") from None
        assert user.id is not None
        return AdminOutcome(user.id, username, created=True)
    assert user.id is not None
    if user.is_admin and bus.deps.hasher.verify(user.password_hash, password):
        return AdminOutcome(user.id, username, created=False)
    raise AdminRefused(
        f"user {username!r} already exists" + ("" if user.is_admin else " and is not an ADMIN")
    )


async def grant_admin(bus: messagebus.MessageBus, username: str) -> AdminOutcome:
    """Adds ADMIN to an existing user's roles."""
    async with bus.deps.uow() as uow:
        user = await uow.users.get_by_username(username)
    if user is None or user.id is None:
        raise AdminRefused(f"no user {username!r}")
    roles = tuple(sorted({r.value for r in user.roles} | {Role.ADMIN.value}))
    await bus.handle(commands.AssignRoles(user.id, roles))
    return AdminOutcome(user.id, username, created=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="user_auth.entrypoints.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-admin", help="create the first administrator")
    create.add_argument("--username", required=True)
    secret = create.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password", help="visible to `ps`; prefer --password-stdin")
    secret.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    create.add_argument("--email", help="defaults to <username>@localhost.localdomain")
    grant = sub.add_parser("grant-admin", help="make an existing user an administrator")
    grant.add_argument("--username", required=True)
    for command in (create, grant):
        command.add_argument("--json", action="store_true", help="print one JSON document")
    return parser


def _input_problem(args: argparse.Namespace) -> str | None:
    if not re.match(USERNAME_PATTERN, args.username):
        return f"username {args.username!r}: 3-50 letters, digits, '_', '.' or '-'"
    if args.command == "create-admin":
        problems = password_problems(args.password)
        if problems:
            return f"password {'; '.join(problems)}"
    return None


async def _run(args: argparse.Namespace, settings: Settings) -> AdminOutcome:
    engine = create_engine(settings.database_url)
    try:
        try:
            async with engine.connect():
                pass
        except (DBAPIError, OSError) as exc:
            raise _Unreachable(str(getattr(exc, "orig", None) or exc)) from None
        bus = bootstrap(settings, engine=engine)
        if args.command == "grant-admin":
            return await grant_admin(bus, args.username)
        email = args.email or f"{args.username}@localhost.localdomain"
        return await create_admin(bus, args.username, args.password, email)
    finally:
        await engine.dispose()


class _Unreachable(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "password_stdin", False):
        args.password = sys.stdin.readline().rstrip("\r\n")
    problem = _input_problem(args)
    if problem:
        return _fail(problem, EXIT_USAGE)
    try:
        outcome = asyncio.run(_run(args, Settings()))
    except _Unreachable as exc:
        return _fail(f"cannot reach the database ({exc})", EXIT_UNREACHABLE)
    except DomainError as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except ValidationError as exc:  # e.g. an --email that is no address
        return _fail(str(exc.errors()[0]["msg"]), EXIT_USAGE)
    except DBAPIError as exc:
        return _fail(str(exc.orig or exc).splitlines()[0], EXIT_DATABASE)
    if args.json:
        print(json.dumps(asdict(outcome)))
    elif outcome.created:
        print(f"created admin {outcome.username} (id {outcome.user_id})")
    else:
        print(f"{outcome.username} is an ADMIN (id {outcome.user_id})")
    return 0


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
