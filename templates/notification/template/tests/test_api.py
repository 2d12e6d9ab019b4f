"""The HTTP contract: status codes, RBAC; the bus runs on fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from ecomkit.contracts import OrderShipped
from ecomkit.testing import TestAuth
from ecomkit.testing.fixtures import api_client

from notification.domain import commands
from notification.domain.model import Contact
from notification.entrypoints.app import create_app
from notification.service_layer.messagebus import MessageBus
from notification.settings import Settings
from tests.fakes import FakeEmailSender, World

pytestmark = pytest.mark.anyio

AUTH = TestAuth(Settings)
ADMIN, SERVICE, USER5, OTHER = AUTH.admin, AUTH.service, AUTH.bearer(5), AUTH.bearer(6)


@pytest.fixture
def bus(email: FakeEmailSender) -> MessageBus:
    return World.of(AUTH.settings, Contact(5, "five@example.com", None, "en"), email=email).bus


@pytest.fixture
async def client(bus: MessageBus) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(create_app(AUTH.settings, bus=bus)) as client:
        yield client


MAIL = {"to": "x@example.com", "subject": "Hello", "body": "Text", "userId": 5}


async def test_send_email_needs_admin_or_service(
    client: httpx.AsyncClient, email: FakeEmailSender
) -> None:
    assert (await client.post("/api/notifications/email", json=MAIL)).status_code == 401
    assert (
        await client.post("/api/notifications/email", json=MAIL, headers=USER5)
    ).status_code == 403
    sent = await client.post("/api/notifications/email", json=MAIL, headers=SERVICE)
    assert sent.status_code == 201 and sent.json()["status"] == "SENT"
    assert email.sent[0].subject == "Hello"


async def test_send_sms_and_validation(client: httpx.AsyncClient) -> None:
    sms = {"to": "+49 151 000000", "body": "hi"}
    assert (await client.post("/api/notifications/sms", json=sms, headers=ADMIN)).status_code == 201
    bad = await client.post("/api/notifications/sms", json={"to": "x", "body": ""}, headers=ADMIN)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "Hi\r\nBcc: someone@example.com"},  # header injection
        {"subject": "Hi\u2028there"},  # a line break the email library also refuses
        {"body": "\ud800"},  # a lone surrogate: not sendable text
        {"userId": 2**70},  # beyond what MongoDB stores
    ],
)
async def test_unsendable_input_is_422_and_sends_nothing(
    client: httpx.AsyncClient, email: FakeEmailSender, change: dict[str, object]
) -> None:
    # json.dumps escapes a lone surrogate as \\ud800, as a client's JSON would carry it.
    response = await client.post(
        "/api/notifications/email",
        content=json.dumps({**MAIL, **change}),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert email.sent == []


async def test_smtp_down_is_503(client: httpx.AsyncClient, email: FakeEmailSender) -> None:
    email.down = True
    response = await client.post("/api/notifications/email", json=MAIL, headers=ADMIN)
    assert response.status_code == 503


async def test_notifications_of_a_user_own_or_admin(
    client: httpx.AsyncClient, bus: MessageBus
) -> None:
    await bus.handle(commands.NotifyAboutEvent("ev", OrderShipped(order_id=1, user_id=5)))
    mine = await client.get("/api/notifications/5", headers=USER5)
    assert mine.status_code == 200
    assert [n["channel"] for n in mine.json()] == ["EMAIL"]  # no phone: no SMS notification
    assert (await client.get("/api/notifications/5", headers=ADMIN)).status_code == 200
    assert (await client.get("/api/notifications/5", headers=OTHER)).status_code == 403
