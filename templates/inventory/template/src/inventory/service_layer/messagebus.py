"""This service's message bus: the kit's bus over this service's handlers.

A deadlock or lock-wait timeout (or a concurrent twin winning a unique key) rolls the
transaction back; the bus then runs the handler again in a fresh unit of work. A bus
`joined` to the inbox's transaction does not retry: the kit's consumer retries the event.
"""

from __future__ import annotations

from ecomkit.messagebus import MessageBus as KitMessageBus
from ecomkit.messagebus import Retry, is_mysql_conflict

from inventory.domain.errors import CancelledMeanwhile
from inventory.service_layer.handlers import HANDLERS, Dependencies

MessageBus = KitMessageBus[Dependencies]


def _worth_again(error: BaseException) -> bool:
    return is_mysql_conflict(error) or isinstance(error, CancelledMeanwhile)


def message_bus(deps: Dependencies) -> MessageBus:
    return KitMessageBus(HANDLERS, deps, retry=Retry(_worth_again))
