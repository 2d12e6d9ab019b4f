"""Read side: queries do not go through commands (nothing changes)."""

from __future__ import annotations

from ecomkit.errors import found

from user_auth.domain.errors import UserNotFound
from user_auth.domain.model import User
from user_auth.service_layer.messagebus import MessageBus


async def user_by_id(bus: MessageBus, user_id: int) -> User:
    async with bus.deps.read_uow() as uow:  # one statement: the user with its roles
        user = await uow.users.get(user_id)
    return found(user, UserNotFound, user_id)


async def users_page(bus: MessageBus, *, page: int, size: int) -> tuple[list[User], int]:
    async with bus.deps.uow() as uow:
        return await uow.users.list(offset=page * size, limit=size)
