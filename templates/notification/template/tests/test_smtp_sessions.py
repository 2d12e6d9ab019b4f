"""The SMTP sender's session handling against a scripted server on a real socket: one
session for many emails, a session the server dropped replaced (the email still sent),
and a refused message not retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from notification.adapters.senders import SmtpEmailSender
from notification.domain.errors import DeliveryFailed
from notification.service_layer.ports import Email

pytestmark = pytest.mark.anyio


@dataclass
class ScriptedSmtpServer:
    """Speaks just enough SMTP; `drop_after` closes a session after that many messages
    without a word (as a restart or an idle timeout does); `refuse` rejects every RCPT."""

    drop_after: int | None = None
    refuse: bool = False
    sessions: int = 0
    subjects: list[str] = field(default_factory=list)
    port: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sessions += 1
        taken = 0
        writer.write(b"220 scripted ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"MAIL" and self.drop_after is not None and taken >= self.drop_after:
                writer.close()
                return
            if verb == b"EHLO":
                writer.write(b"250-scripted\r\n250 8BITMIME\r\n")
            elif verb == b"RCPT" and self.refuse:
                writer.write(b"550 no such user\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                self.subjects.append(await self._message_subject(reader))
                taken += 1
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                writer.close()
                return
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()

    @staticmethod
    async def _message_subject(reader: asyncio.StreamReader) -> str:
        subject = ""
        while (line := await reader.readline()) not in (b".\r\n", b""):
            if line.lower().startswith(b"subject:"):
                subject = line.split(b":", 1)[1].strip().decode()
        return subject


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def server() -> AsyncIterator[ScriptedSmtpServer]:
    scripted = ScriptedSmtpServer()
    listener = await asyncio.start_server(scripted.serve, "127.0.0.1", 0)
    scripted.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield scripted


def sender_for(server: ScriptedSmtpServer) -> SmtpEmailSender:
    return SmtpEmailSender("127.0.0.1", server.port, sender="shop@example.com", timeout_s=5)


def email(subject: str) -> Email:
    return Email("someone@example.com", subject, "body", f"<{subject}@example.com>")


async def test_one_session_carries_many_emails(server: ScriptedSmtpServer) -> None:
    sender = sender_for(server)
    for i in range(4):
        await sender.send(email(f"m{i}"))
    await sender.aclose()
    assert server.subjects == ["m0", "m1", "m2", "m3"]
    assert server.sessions == 1 and sender.sessions_opened == 1


async def test_a_session_the_server_dropped_is_replaced_and_the_email_sent(
    server: ScriptedSmtpServer,
) -> None:
    server.drop_after = 1
    sender = sender_for(server)
    await sender.send(email("first"))
    await sender.send(email("second"))  # the server drops the session at MAIL
    await sender.aclose()
    assert server.subjects == ["first", "second"]
    assert sender.sessions_opened == 2


async def test_a_refused_message_fails_without_a_retry(server: ScriptedSmtpServer) -> None:
    server.refuse = True
    sender = sender_for(server)
    with pytest.raises(DeliveryFailed):
        await sender.send(email("refused"))
    assert server.sessions == 1 and server.subjects == []


async def test_an_idle_session_is_not_reused(server: ScriptedSmtpServer) -> None:
    sender = sender_for(server)
    sender.idle_s = 0.0
    await sender.send(email("a"))
    await sender.send(email("b"))
    await sender.aclose()
    assert server.subjects == ["a", "b"] and sender.sessions_opened == 2
