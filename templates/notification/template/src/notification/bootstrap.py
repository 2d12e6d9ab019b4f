"""Wires the real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecomkit.service import ServiceResources
from ecomkit.service_credentials import ServiceCredential
from pymongo import AsyncMongoClient

from notification.adapters.clients import CachedUserDirectory, HttpUserDirectory
from notification.adapters.mongo import MongoNotificationLog
from notification.adapters.rendering import JinjaRenderer
from notification.adapters.senders import LocalSmsSink, SmtpEmailSender, TwilioSmsProvider
from notification.service_layer.handlers import Dependencies
from notification.service_layer.messagebus import MessageBus, message_bus
from notification.service_layer.ports import (
    EmailSender,
    NotificationLog,
    Renderer,
    SmsProvider,
    UserDirectory,
)
from notification.settings import Settings


@dataclass(kw_only=True)
class Resources(ServiceResources):
    mongo: AsyncMongoClient[Any]
    database: Any
    log: MongoNotificationLog
    email: SmtpEmailSender | None = None

    async def close(self) -> None:
        await super().close()
        if self.email is not None:
            await self.email.aclose()
        await self.mongo.close()


def open_resources(settings: Settings) -> Resources:
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongo_url, tz_aware=False)
    database = mongo.get_default_database(default="notifications")
    return Resources(mongo=mongo, database=database, log=MongoNotificationLog(database))


def bootstrap(
    settings: Settings,
    resources: Resources | None = None,
    *,
    users: UserDirectory | None = None,
    email: EmailSender | None = None,
    sms: SmsProvider | None = None,
    log: NotificationLog | None = None,
    renderer: Renderer | None = None,
) -> MessageBus:
    """Real adapters for what is not passed in (tests pass fakes and no resources)."""
    if users is None:
        assert resources is not None
        client = resources.client("user-auth", settings)
        credential = ServiceCredential(
            client,
            client_id=settings.service_name,
            client_secret=settings.client_secret.get_secret_value(),
            audience="user-auth",
        )
        directory = HttpUserDirectory(client, credential)
        users = directory
        if settings.contact_cache_ttl_s > 0:
            users = CachedUserDirectory(directory, ttl_s=settings.contact_cache_ttl_s)
    if sms is None:
        assert resources is not None
        sms = sms_provider(settings, resources.database)
    if log is None:
        assert resources is not None
        log = resources.log
    if email is None:
        email = smtp_sender(settings)
        if resources is not None:
            resources.email = email  # its open sessions are closed with the app
    return message_bus(
        Dependencies(
            users=users,
            renderer=renderer or JinjaRenderer(default_language=settings.default_language),
            email=email,
            sms=sms,
            log=log,
            default_language=settings.default_language,
            lease_s=settings.sending_lease_s,
        )
    )


def smtp_sender(settings: Settings) -> SmtpEmailSender:
    return SmtpEmailSender(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
        timeout_s=settings.smtp_timeout_s,
    )


def sms_provider(settings: Settings, database: Any) -> SmsProvider:
    """Twilio when its three settings are given, else the local sink in Mongo."""
    token = settings.twilio_auth_token.get_secret_value()
    if settings.twilio_account_sid and token and settings.twilio_from_number:
        return TwilioSmsProvider(settings.twilio_account_sid, token, settings.twilio_from_number)
    return LocalSmsSink(database)
