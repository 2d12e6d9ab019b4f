"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from pydantic.alias_generators import to_camel

from notification.domain.model import Notification

RequestId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class EmailRequest(CamelModel):
    to: EmailStr
    subject: Annotated[str, Field(min_length=1, max_length=255)]
    body: Annotated[str, Field(min_length=1, max_length=100_000)]
    user_id: int | None = None
    request_id: RequestId | None = None


class SmsRequest(CamelModel):
    to: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,20}$")]
    body: Annotated[str, Field(min_length=1, max_length=1600)]
    user_id: int | None = None
    request_id: RequestId | None = None


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
        return cls(
            id=n.key,
            channel=n.channel.value,
            status=n.status.value,
            recipient=n.recipient,
            user_id=n.user_id,
            event_id=n.event_id,
            event_type=n.event_type,
            subject=n.subject,
            body=n.body,
            language=n.language,
            provider_ref=n.provider_ref,
            error=n.error,
            attempts=n.attempts,
            created_at=n.created_at,
        )
