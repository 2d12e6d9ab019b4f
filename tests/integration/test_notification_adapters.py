"""The notification service's real adapters pass the contracts its fakes pass: email over
SMTP to Mailpit (read back through its REST API) and the notification log in Mongo
(FerretDB). The contracts are loaded from the generated service's tests."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.integration.conftest import Platform
from tests.integration.test_payment_support import generate

FOLDER = generate("notification", Path(tempfile.mkdtemp(prefix="notification-contract-")))
sys.path.insert(0, str(FOLDER / "src"))
_spec = importlib.util.spec_from_file_location(
    "notification_contracts", FOLDER / "tests" / "contracts.py"
)
assert _spec is not None and _spec.loader is not None
contracts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contracts)

from notification.adapters.mongo import MongoNotificationLog  # noqa: E402
from notification.adapters.senders import SmtpEmailSender  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestSmtpEmailSender(contracts.EmailSenderContract):  # type: ignore[misc]
    @pytest.fixture(autouse=True)
    def _ports(self, platform: Platform) -> None:
        self.smtp_port = platform.port("smtp")
        self.api = f"http://127.0.0.1:{platform.port('smtp', 'http')}"

    @pytest.fixture
    def sender(self) -> Any:
        return SmtpEmailSender("127.0.0.1", self.smtp_port, sender="shop@ecomctl.local")

    @pytest.fixture
    def broken_sender(self) -> Any:
        return SmtpEmailSender("127.0.0.1", 9, sender="shop@ecomctl.local", timeout_s=2)

    async def received(self, sender: Any, to: str) -> list[tuple[str, str]]:
        async with httpx.AsyncClient(base_url=self.api, timeout=10) as client:
            found = (await client.get("/api/v1/search", params={"query": f"to:{to}"})).json()
            result = []
            for summary in found["messages"]:
                message = (await client.get(f"/api/v1/message/{summary['ID']}")).json()
                result.append((message["Subject"], message["Text"]))
            return result

    async def test_one_session_carries_many_emails(self, sender: Any) -> None:
        to = f"u{uuid.uuid4().hex[:12]}@example.com"
        for i in range(5):
            await sender.send(contracts.Email(to, f"s{i}", "b", f"<reuse-{i}-{to}>"))
        assert sender.sessions_opened == 1
        assert len(await self.received(sender, to)) == 5
        await sender.aclose()


class TestMongoNotificationLog(contracts.NotificationLogContract):  # type: ignore[misc]
    @pytest.fixture
    async def log(self, mongo_url: str) -> Any:
        client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url, tz_aware=False)
        database = client["it_notifications_" + uuid.uuid4().hex[:8]]
        log = MongoNotificationLog(database)
        await log.ensure_indexes()
        yield log
        await client.drop_database(database.name)
        await client.close()
