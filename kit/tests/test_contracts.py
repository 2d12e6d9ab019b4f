"""The typed event contracts: the wire names the services use, the envelope round trip,
versions and upcasting, and the errors a consumer gets for what it cannot read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from ecomkit.contracts import (
    CONTRACTS,
    Contract,
    ContractError,
    InvalidEventData,
    OrderCreated,
    ProductChanged,
    Registry,
    Topic,
    UnknownEventType,
    UnknownSchemaVersion,
    Upcaster,
    parse,
)
from ecomkit.db import outbox_row
from ecomkit.events import Envelope, UndecodableEvent, decode, encode

NOW = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
ORDER = {"order_id": 17, "user_id": 4}
PAYMENT = {**ORDER, "payment_id": "3f0c", "amount": "82.48", "currency": "USD"}

# One example per event, in the wire's field names, as the services build them today.
EXAMPLES: dict[str, dict[str, Any]] = {
    "OrderCreated": {
        **ORDER,
        "order_number": "ORD-20250301-0A1B2C3D4E",
        "items": [{"product_id": 1, "quantity": 2, "price": "19.99"}],
        "total_amount": "39.98",
        "currency": "USD",
        "payment_method_id": "pm_card_visa",
        "email": "a@example.com",
        "created_at": "2025-03-01T12:30:00Z",
    },
    "OrderPaid": {**ORDER, "total_amount": "39.98", "currency": "USD"},
    "OrderShipped": ORDER,
    "OrderCancelled": {**ORDER, "reason": "saga timeout", "previous_status": "PENDING"},
    "InventoryReserved": {
        **ORDER,
        "items": [{"product_id": 1, "quantity": 2, "price": "19.99"}],
        "total_amount": "39.98",
        "currency": "USD",
        "payment_method_id": None,
        "expires_at": "2025-03-01T12:45:00Z",
    },
    "InventoryReservationFailed": {
        **ORDER,
        "reason": "insufficient stock for product(s) 1",
        "items": [{"product_id": 1, "requested": 2, "available": 0}],
    },
    "InventoryUpdated": {
        "product_id": 1,
        "available_stock": 8,
        "reserved_stock": 2,
        "sold_stock": 0,
    },
    "PaymentCompleted": {**PAYMENT, "provider": "stripe", "provider_ref": "ch_1"},
    "PaymentFailed": {**PAYMENT, "reason": "card declined", "decline_code": "card_declined"},
    "RefundCompleted": {**PAYMENT, "provider_ref": "re_1"},
    "ReviewAdded": {
        "productId": 1,
        "reviewId": "9b2e",
        "userId": 4,
        "rating": 5,
        "comment": None,
        "createdAt": "2025-03-01T12:30:00Z",
    },
    "ProductChanged": {
        "productId": 1,
        "change": "updated",
        "id": 1,
        "sku": "SKU-1",
        "name": "Mug",
        "description": None,
        "category": "kitchen",
        "price": "9.50",
        "currency": "USD",
        "imageUrl": None,
        "active": True,
        "createdAt": "2025-03-01T12:30:00",
        "updatedAt": None,
        "version": 3,
        "brand": "Acme",
    },
}
KEYS = {"InventoryUpdated": "1", "ReviewAdded": "1", "ProductChanged": "1"}


def test_every_contract_has_an_example_and_a_distinct_type() -> None:
    assert sorted(c.event_type for c in CONTRACTS) == sorted(EXAMPLES)
    assert {c.topic for c in CONTRACTS} <= set(Topic)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.event_type)
def test_each_contract_round_trips_through_the_kit_envelope(contract: type[Contract]) -> None:
    typed = contract.model_validate(EXAMPLES[contract.event_type])
    event = typed.to_event()
    assert (event.type, event.topic, event.schema_version) == (
        contract.event_type,
        contract.topic,
        contract.schema_version,
    )
    assert event.key == event.subject == KEYS.get(contract.event_type, "17")
    # The wire keeps the names the services write today (camelCase for the catalog's).
    assert event.data == EXAMPLES[contract.event_type]
    row = outbox_row(event, source="test")
    assert row["topic"] == contract.topic and row["message_key"] == event.key
    envelope = decode(encode(Envelope.model_validate(row["payload"])))
    assert parse(envelope) == typed


def test_amounts_stay_decimal_strings() -> None:
    order = OrderCreated.model_validate(EXAMPLES["OrderCreated"])
    assert order.total_amount == Decimal("39.98") and order.items[0].price == Decimal("19.99")
    assert order.payload()["total_amount"] == "39.98"


def test_catalog_events_are_built_with_python_names() -> None:
    changed = ProductChanged.model_validate(
        {**EXAMPLES["ProductChanged"], "imageUrl": "https://img/1.png"}
    )
    assert changed.image_url == "https://img/1.png" and changed.key == "1"


def _envelope(event_type: str, data: Mapping[str, Any], version: int = 1) -> Envelope:
    return Envelope(type=event_type, source="test", data=dict(data), schema_version=version)


def test_unknown_type_is_a_contract_error_the_consumer_dead_letters() -> None:
    with pytest.raises(UnknownEventType, match="no contract for event type 'OrderLost'"):
        parse(_envelope("OrderLost", {}))
    assert issubclass(ContractError, UndecodableEvent)


def test_a_newer_version_than_the_reader_knows_is_refused() -> None:
    with pytest.raises(UnknownSchemaVersion, match="OrderPaid schema_version 2 cannot be read"):
        parse(_envelope("OrderPaid", EXAMPLES["OrderPaid"], version=2))


def test_data_that_does_not_fit_names_the_field() -> None:
    with pytest.raises(InvalidEventData, match="OrderPaid v1: total_amount"):
        parse(_envelope("OrderPaid", {**EXAMPLES["OrderPaid"], "total_amount": "lots"}))


def test_readers_ignore_fields_they_do_not_know() -> None:
    parsed = parse(_envelope("OrderShipped", {**ORDER, "carrier": "DHL"}))
    assert parsed.model_dump() == ORDER


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "carrier": data.get("shipper", "unknown")}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "tracking": None}


class ShippedV3(Contract):
    event_type: ClassVar[str] = "OrderShipped"
    topic: ClassVar[Topic] = Topic.ORDER_SHIPPED
    key_field: ClassVar[str] = "order_id"
    aggregate: ClassVar[str] = "order"
    schema_version: ClassVar[int] = 3
    upcasters: ClassVar[Mapping[int, Upcaster]] = {1: _v1_to_v2, 2: _v2_to_v3}

    order_id: int
    carrier: str
    tracking: str | None


def test_an_old_version_is_upcast_to_the_current_one() -> None:
    registry = Registry([ShippedV3])
    old = registry.parse(_envelope("OrderShipped", {**ORDER, "shipper": "DHL"}, version=1))
    assert old == ShippedV3(order_id=17, carrier="DHL", tracking=None)
    middle = registry.parse(_envelope("OrderShipped", {**ORDER, "carrier": "UPS"}, version=2))
    assert middle.carrier == "UPS"  # type: ignore[attr-defined]
    assert ShippedV3.readable_versions() == [1, 2, 3]
    assert ShippedV3(order_id=1, carrier="x", tracking=None).to_event().schema_version == 3


def test_a_gap_in_the_upcasters_ends_what_can_be_read() -> None:
    class Gap(ShippedV3):
        upcasters: ClassVar[Mapping[int, Upcaster]] = {2: _v2_to_v3}

    assert Gap.readable_versions() == [2, 3]
    with pytest.raises(UnknownSchemaVersion, match=r"version 1 cannot be read \(.*reads 2, 3\)"):
        Registry([Gap]).parse(_envelope("OrderShipped", ORDER, version=1))


def test_two_contracts_for_one_type_are_refused() -> None:
    with pytest.raises(ValueError, match="OrderShipped has two contracts"):
        Registry([ShippedV3, *CONTRACTS])
