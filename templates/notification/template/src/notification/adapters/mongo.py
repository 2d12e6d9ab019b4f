"""`notification_logs` in Mongo (FerretDB locally): one document per notification, `_id` =
event id + channel, so the unique primary key itself refuses a second claim.

Why two collections: FerretDB 1.x finds documents by scanning the collection, even by `_id`
(measured: 23 ms for `find_one` and 48 ms for `update_one` at 10,000 documents, growing
linearly), while an insert checks the unique `_id` index (0.6 ms at any size). So the path
every notification takes only inserts: the claim into `notification_claims`, then the final
document into `notification_logs`. Lookups and updates happen only on the rare paths (a
redelivery, a retry after a failure, a crashed attempt), where the claim already exists.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from ecomkit.mongo_pages import newest_first
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from notification.domain.errors import DeliveryInProgress
from notification.domain.model import Channel, Notification, Status
from notification.service_layer.ports import Outcome

DONE = (Status.SENT.value, Status.SKIPPED.value)


class MongoNotificationLog:
    def __init__(
        self,
        database: Any,
        *,
        collection: str = "notification_logs",
        claims: str = "notification_claims",
    ) -> None:
        self.collection = database[collection]
        self.claims = database[claims]
        # Claimed here and not yet finished: the document finish() inserts.
        self._claimed: dict[str, dict[str, Any]] = {}

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("userId", 1), ("createdAt", -1)])
        await self.collection.create_index([("eventId", 1)])

    async def claim(self, notification: Notification, *, now: datetime, lease_s: float) -> bool:
        document = _document(notification)
        document.update(status=Status.SENDING.value, attempts=1, claimedAt=now, updatedAt=now)
        try:
            await self.claims.insert_one(_claim(notification.key, Status.SENDING, now))
        except DuplicateKeyError:
            attempts = await self._take_over(notification.key, now=now, lease_s=lease_s)
            if attempts is None:
                return False
            document["attempts"] = attempts
        self._claimed[notification.key] = document
        return True

    async def _take_over(self, key: str, *, now: datetime, lease_s: float) -> int | None:
        """A second claim of `key`: None when it is done, else the attempt number it takes."""
        logged = await self.collection.find_one({"_id": key})
        if logged is not None and logged["status"] in DONE:
            return None
        existing = await self.claims.find_one({"_id": key})
        if existing is None:  # removed in between: claim afresh
            with contextlib.suppress(DuplicateKeyError):
                await self.claims.insert_one(_claim(key, Status.SENDING, now))
                return 1
            raise DeliveryInProgress(f"notification {key} was claimed meanwhile")
        claimed_at = existing.get("claimedAt")
        sending = existing["status"] == Status.SENDING.value and claimed_at is not None
        if sending and _naive(claimed_at) > _naive(now) - timedelta(seconds=lease_s):
            raise DeliveryInProgress(f"notification {key} is being sent")
        # FAILED, or SENDING past its lease (a crashed attempt): take it over, unless
        # another attempt takes it over first (compare-and-set on the state we read).
        taken = await self.claims.find_one_and_update(
            {"_id": key, "status": existing["status"], "claimedAt": claimed_at},
            {"$set": {"status": Status.SENDING.value, "claimedAt": now}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if taken is None:
            raise DeliveryInProgress(f"notification {key} was claimed meanwhile")
        return int(taken["attempts"])

    async def finish(self, key: str, outcome: Outcome) -> None:
        status = outcome.status
        changes: dict[str, Any] = {
            "status": status.value,
            "updatedAt": outcome.at,
            "error": outcome.error,
        }
        if outcome.provider_ref is not None:
            changes["providerRef"] = outcome.provider_ref
        if status is Status.SENT:
            changes["sentAt"] = outcome.at
        document = self._claimed.pop(key, None)
        if status is not Status.SENT:
            # The claim must say so, or a retry would wait for the lease of a dead attempt.
            await self.claims.update_one({"_id": key}, {"$set": {"status": status.value}})
        if document is not None:
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.insert_one({**document, **changes})
                return
            # Logged by an earlier attempt (it failed): this one's outcome replaces it.
            changes["attempts"] = document["attempts"]
        await self.collection.update_one({"_id": key}, {"$set": changes})

    async def skip(self, notification: Notification) -> None:
        document = _document(notification)
        document.update(status=Status.SKIPPED.value, updatedAt=notification.created_at)
        # Known already (sent, or skipped before): leave it as it is.
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(document)
        with contextlib.suppress(DuplicateKeyError):
            await self.claims.insert_one(
                _claim(notification.key, Status.SKIPPED, notification.created_at)
            )

    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Notification]:
        cursor = newest_first(self.collection, {"userId": user_id}, offset=offset, limit=limit)
        return [_notification(document) async for document in cursor]


def _claim(key: str, status: Status, now: datetime | None) -> dict[str, Any]:
    return {"_id": key, "status": status.value, "claimedAt": now, "attempts": 1}


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
