"""Which contract reads which event type, and reading an envelope with it."""

from __future__ import annotations

from collections.abc import Iterable

from ecomkit.contracts.base import Contract, UnknownEventType
from ecomkit.contracts.catalog import ProductChanged, ReviewAdded
from ecomkit.contracts.inventory import (
    InventoryReservationFailed,
    InventoryReserved,
    InventoryUpdated,
)
from ecomkit.contracts.orders import OrderCancelled, OrderCreated, OrderPaid, OrderShipped
from ecomkit.contracts.payments import PaymentCompleted, PaymentFailed, RefundCompleted
from ecomkit.events import Envelope

CONTRACTS: tuple[type[Contract], ...] = (
    OrderCreated,
    OrderPaid,
    OrderShipped,
    OrderCancelled,
    InventoryReserved,
    InventoryReservationFailed,
    InventoryUpdated,
    PaymentCompleted,
    PaymentFailed,
    RefundCompleted,
    ReviewAdded,
    ProductChanged,
)


class Registry:
    """Contracts by event type; `parse` is how a consumer reads an envelope."""

    def __init__(self, contracts: Iterable[type[Contract]]) -> None:
        self.by_type: dict[str, type[Contract]] = {}
        for contract in contracts:
            if contract.event_type in self.by_type:
                raise ValueError(f"event type {contract.event_type} has two contracts")
            self.by_type[contract.event_type] = contract

    def contract_for(self, event_type: str) -> type[Contract]:
        try:
            return self.by_type[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

    def parse(self, envelope: Envelope) -> Contract:
        """The typed payload of `envelope`, upcast to the current version.

        Raises a `ContractError` (an `UndecodableEvent`: the consumer's DLQ path) for an
        unknown type, an unreadable version or data that does not fit the contract.
        """
        contract = self.contract_for(envelope.type)
        return contract.from_data(envelope.data, envelope.schema_version)


REGISTRY = Registry(CONTRACTS)
parse = REGISTRY.parse
