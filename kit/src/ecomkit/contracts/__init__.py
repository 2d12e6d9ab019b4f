"""Typed, versioned event contracts: one definition per event and topic (DESIGN 5, 8).

Publishing: build the contract and record `contract.to_event()` in the unit of work.
Consuming: `parse(envelope)` gives the typed payload (older versions upcast), or raises a
`ContractError`, which the kit's consumer treats as undecodable (straight to the DLQ).

    from ecomkit.contracts import OrderCreated, Topic, parse

`snapshot.json` beside this module is the committed form of every schema; `ecomctl events
check` refuses a change that breaks readers of it, `ecomctl events docs` turns it into an
AsyncAPI document.
"""

from ecomkit.contracts.base import (
    Contract,
    ContractError,
    InvalidEventData,
    Money,
    UnknownEventType,
    UnknownSchemaVersion,
    Upcaster,
)
from ecomkit.contracts.catalog import ProductChanged, ReviewAdded
from ecomkit.contracts.describe import describe
from ecomkit.contracts.inventory import (
    InventoryReservationFailed,
    InventoryReserved,
    InventoryUpdated,
    ReservedItem,
    Shortage,
)
from ecomkit.contracts.orders import (
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    OrderShipped,
)
from ecomkit.contracts.payments import PaymentCompleted, PaymentFailed, RefundCompleted
from ecomkit.contracts.registry import CONTRACTS, REGISTRY, Registry, parse
from ecomkit.contracts.topics import Topic

__all__ = [
    "CONTRACTS",
    "REGISTRY",
    "Contract",
    "ContractError",
    "InvalidEventData",
    "InventoryReservationFailed",
    "InventoryReserved",
    "InventoryUpdated",
    "Money",
    "OrderCancelled",
    "OrderCreated",
    "OrderLineItem",
    "OrderPaid",
    "OrderShipped",
    "PaymentCompleted",
    "PaymentFailed",
    "ProductChanged",
    "RefundCompleted",
    "Registry",
    "ReservedItem",
    "ReviewAdded",
    "Shortage",
    "Topic",
    "UnknownEventType",
    "UnknownSchemaVersion",
    "Upcaster",
    "describe",
    "parse",
]
