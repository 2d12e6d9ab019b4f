"""`python -m user_auth.entrypoints.cli create-admin --username U --password P`

What `ecomctl users create-admin` runs next to the service (local process or container),
with the same ECOM_* environment, so the first ADMIN needs no HTTP endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ecomkit.db import create_engine

from user_auth.bootstrap import bootstrap
from user_auth.domain import commands
from user_auth.domain.errors import UsernameTaken
from user_auth.domain.model import Role, password_problems
from user_auth.service_layer import messagebus
from user_auth.settings import Settings


async def create_admin(
    bus: messagebus.MessageBus, username: str, password: str, email: str
) -> str:
    """Registers an ADMIN, or grants ADMIN to an existing user (its password unchanged)."""
    try:
        user = await bus.handle(
            commands.RegisterUser(username, email, password, roles=("USER", "ADMIN"))
        )
        return f"created admin {username} (id {user.id})"
    except UsernameTaken:
        async with bus.deps.uow() as uow:
            user = await uow.users.get_by_username(username)
        assert user is not None and user.id is not None
        roles = tuple(sorted({r.value for r in user.roles} | {Role.ADMIN.value}))
        await bus.handle(commands.AssignRoles(user.id, roles))
        return f"user {username} exists (id {user.id}); granted ADMIN"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="user_auth.entrypoints.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    admin = sub.add_parser("create-admin", help="create the first administrator")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--email", help="defaults to <username>@localhost.localdomain")
    args = parser.parse_args(argv)
    problems = password_problems(args.password)
    if problems:
        print(f"error: password {'; '.join(problems)}", file=sys.stderr)
        return 2
    settings = Settings()
    email = args.email or f"{args.username}@localhost.localdomain"

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            return await create_admin(bootstrap(settings, engine=engine), args.username,
                                      args.password, email)
        finally:
            await engine.dispose()

    print(asyncio.run(run()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
