"""HTTP routes. Each route builds a command (or a query) and hands it to the bus."""

from __future__ import annotations

from typing import Annotated

from ecomkit.api_params import AdminOrService, CurrentUser, Page, PageSize
from ecomkit.problems import Forbidden
from ecomkit.service import bus_of
from fastapi import APIRouter, Depends, Path, status

from notification.domain import commands
from notification.domain.model import Notification
from notification.entrypoints.schemas import NotificationResponse
from notification.service_layer import views
from notification.service_layer.messagebus import MessageBus

router = APIRouter()


Bus = Annotated[MessageBus, Depends(bus_of)]


async def _deliver(bus: MessageBus, command: commands.DirectMessage) -> NotificationResponse:
    sent: Notification = await bus.handle(command)
    return NotificationResponse.of(sent)


@router.post("/api/notifications/email", status_code=status.HTTP_201_CREATED, tags=["send"])
async def send_email(
    command: commands.SendEmail, _: AdminOrService, bus: Bus
) -> NotificationResponse:
    return await _deliver(bus, command)


@router.post("/api/notifications/sms", status_code=status.HTTP_201_CREATED, tags=["send"])
async def send_sms(command: commands.SendSms, _: AdminOrService, bus: Bus) -> NotificationResponse:
    return await _deliver(bus, command)


@router.get("/api/notifications/{user_id}", tags=["log"])
async def notifications_of(
    user_id: Annotated[int, Path(ge=0, le=2**63 - 1)],
    claims: CurrentUser,
    bus: Bus,
    page: Page = 0,
    size: PageSize = 20,
) -> list[NotificationResponse]:
    if claims.user_id != user_id and not claims.has_role("ADMIN"):
        raise Forbidden("only your own notifications (or ADMIN)")
    found = await views.notifications_of(bus, user_id, page=page, size=size)
    return [NotificationResponse.of(n) for n in found]
