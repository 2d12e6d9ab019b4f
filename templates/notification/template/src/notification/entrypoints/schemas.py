"""HTTP response bodies (camelCase JSON, as in the plan's API); the request bodies are the
commands themselves (domain/commands.py)."""

from __future__ import annotations

from datetime import datetime

from ecomkit.schemas import CamelModel

from notification.domain.model import Notification


class NotificationResponse(CamelModel):
    id: str
    channel: str
    status: str
    recipient: str | None
    user_id: int | None
    event_id: str | None
    event_type: str
    subject: str | None
    body: str
    language: str | None
    provider_ref: str | None
    error: str | None
    attempts: int
    created_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationResponse:
        return cls.copying(n, id=n.key, channel=n.channel.value, status=n.status.value)
