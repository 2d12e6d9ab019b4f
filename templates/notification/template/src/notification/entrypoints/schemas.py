"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ecomkit.schemas import CamelModel
from pydantic import AfterValidator, EmailStr, Field

from notification.domain.model import Notification

RequestId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
UserId = Annotated[int, Field(ge=0, le=2**63 - 1)]  # what MongoDB can store as an integer


def _encodable(value: str) -> str:
    """JSON can carry lone surrogates, which no mail or SMS can: refuse them with a 422."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# Every character str.splitlines() breaks on, as the email library does for headers.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _one_line(value: str) -> str:
    """A subject is a mail header: a line break in it would inject headers."""
    if any(char in _LINE_BREAKS for char in value):
        raise ValueError("must be a single line")
    return value


Text = Annotated[str, AfterValidator(_encodable)]
Subject = Annotated[Text, AfterValidator(_one_line), Field(min_length=1, max_length=255)]


class EmailRequest(CamelModel):
    to: EmailStr
    subject: Subject
    body: Annotated[Text, Field(min_length=1, max_length=100_000)]
    user_id: UserId | None = None
    request_id: RequestId | None = None


class SmsRequest(CamelModel):
    to: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,20}$")]
    body: Annotated[Text, Field(min_length=1, max_length=1600)]
    user_id: UserId | None = None
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
        return cls.copying(n, id=n.key, channel=n.channel.value, status=n.status.value)
