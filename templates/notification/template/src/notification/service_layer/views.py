"""Reads."""

from __future__ import annotations

from notification.domain.model import Notification
from notification.service_layer.messagebus import MessageBus


async def notifications_of(
    bus: MessageBus, user_id: int, *, page: int, size: int
) -> list[Notification]:
    return await bus.deps.log.for_user(user_id, offset=page * size, limit=size)
