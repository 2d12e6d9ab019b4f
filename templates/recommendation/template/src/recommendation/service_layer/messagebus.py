"""This service's message bus: the kit's bus over this service's handlers."""

from __future__ import annotations

from ecomkit.messagebus import MessageBus as KitMessageBus

from recommendation.service_layer.handlers import HANDLERS, Dependencies

MessageBus = KitMessageBus[Dependencies]


def message_bus(deps: Dependencies) -> MessageBus:
    return KitMessageBus(HANDLERS, deps)
