"""`notification_logs` in Mongo (FerretDB locally): one document per notification, `_id` =
event id + channel, so the unique primary key itself refuses a second claim."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from notification.domain.errors import DeliveryInProgress
from notification.domain.model import Channel, Notification, Status

DONE = (Status.SENT.value, Status.SKIPPED.value)


class MongoNotificationLog:
    def __init__(self, database: Any, *, collection: str = "notification_logs") -> None:
        self.collection = database[collection]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("userId", 1), ("createdAt", -1)])
        await self.collection.create_index([("eventId", 1)])

    async def claim(self, notification: Notification, *, now: datetime, lease_s: float) -> bool:
        document = _document(notification)
        document.update(status=Status.SENDING.value, attempts=1, claimedAt=now, updatedAt=now)
        try:
            await self.collection.insert_one(document)
            return True
        except DuplicateKeyError:
            pass
        existing = await self.collection.find_one({"_id": notification.key})
        if existing is None:  # removed in between: claim afresh
            return await self.claim(notification, now=now, lease_s=lease_s)
        if existing["status"] in DONE:
            return False
        claimed_at = existing.get("claimedAt")
        sending = existing["status"] == Status.SENDING.value and claimed_at is not None
        if sending and _naive(claimed_at) > _naive(now) - timedelta(seconds=lease_s):
            raise DeliveryInProgress(f"notification {notification.key} is being sent")
        # FAILED, or SENDING past its lease (a crashed attempt): take it over, unless
        # another attempt takes it over first (compare-and-set on the state we read).
        taken = await self.collection.find_one_and_update(
            {"_id": notification.key, "status": existing["status"], "claimedAt": claimed_at},
            {
                "$set": {"status": Status.SENDING.value, "claimedAt": now, "updatedAt": now},
                "$inc": {"attempts": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if taken is None:
            raise DeliveryInProgress(f"notification {notification.key} was claimed meanwhile")
        return True

    async def finish(
        self,
        key: str,
        status: Status,
        *,
        now: datetime,
        provider_ref: str | None = None,
        error: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {"status": status.value, "updatedAt": now, "error": error}
        if provider_ref is not None:
            changes["providerRef"] = provider_ref
        if status is Status.SENT:
            changes["sentAt"] = now
        await self.collection.update_one({"_id": key}, {"$set": changes})

    async def skip(self, notification: Notification) -> None:
        document = _document(notification)
        document.update(status=Status.SKIPPED.value, updatedAt=notification.created_at)
        # Known already (sent, or skipped before): leave it as it is.
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(document)

    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Notification]:
        cursor = (
            self.collection.find({"userId": user_id})
            .sort([("createdAt", -1), ("_id", 1)])
            .skip(offset)
            .limit(limit)
        )
        return [_notification(document) async for document in cursor]


def _naive(moment: datetime) -> datetime:
    """Mongo hands back naive UTC datetimes; compare like with like."""
    return moment.replace(tzinfo=None)


def _document(n: Notification) -> dict[str, Any]:
    return {
        "_id": n.key,
        "channel": n.channel.value,
        "recipient": n.recipient,
        "userId": n.user_id,
        "eventId": n.event_id,
        "eventType": n.event_type,
        "status": n.status.value,
        "subject": n.subject,
        "body": n.body,
        "language": n.language,
        "error": n.error,
        "attempts": n.attempts,
        "createdAt": n.created_at,
    }


def _notification(d: dict[str, Any]) -> Notification:
    return Notification(
        key=str(d["_id"]),
        channel=Channel(d["channel"]),
        recipient=d.get("recipient"),
        user_id=d.get("userId"),
        event_id=d.get("eventId"),
        event_type=d.get("eventType", ""),
        status=Status(d["status"]),
        subject=d.get("subject"),
        body=d.get("body") or "",
        language=d.get("language"),
        provider_ref=d.get("providerRef"),
        error=d.get("error"),
        attempts=int(d.get("attempts") or 0),
        created_at=d.get("createdAt"),
        updated_at=d.get("updatedAt"),
    )
