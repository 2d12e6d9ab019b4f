"""contract_codec: encode and decode one OrderCreated, pydantic (the kit's) vs msgspec.

What a service does per event, measured both ways in one run:

- encode: typed payload -> envelope JSON bytes (what the outbox stores and the relay sends);
- decode: envelope JSON bytes -> envelope -> typed payload (what a consumer reads).

pydantic is `ecomkit.contracts.OrderCreated` inside the kit's `Envelope`; msgspec is the same
shape as `msgspec.Struct`s, decoded in one pass. Rounds are interleaved and the median kept
(a shared, noisy machine). Prints microseconds per event and, last:

    contract_codec: ratio=<pydantic / msgspec, encode + decode> pydantic_us=... msgspec_us=...

Informational (no target): the choice it informed is in ecomkit/contracts/base.py.
Needs msgspec, which is not a dependency of anything: `pip install msgspec`.

    python bench/contract_codec.py [--events 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kit" / "src"))

from ecomkit.contracts import OrderCreated, parse
from ecomkit.events import Envelope, decode, encode

try:
    import msgspec
except ImportError:
    sys.exit("contract_codec: needs msgspec (pip install msgspec)")


class LineStruct(msgspec.Struct, frozen=True):
    product_id: int
    quantity: int
    price: Decimal


class OrderCreatedStruct(msgspec.Struct, frozen=True):
    order_id: int
    user_id: int
    order_number: str
    items: list[LineStruct]
    total_amount: Decimal
    currency: str
    payment_method_id: str | None
    email: str | None
    created_at: datetime


class EnvelopeStruct(msgspec.Struct, frozen=True):
    id: uuid.UUID
    type: str
    source: str
    time: datetime
    subject: str | None
    data: OrderCreatedStruct
    schema_version: int = 1


FIELDS = {
    "order_id": 4711,
    "user_id": 42,
    "order_number": "ORD-20250101-0A1B2C3D4E",
    "items": [
        {"product_id": 1, "quantity": 2, "price": Decimal("19.99")},
        {"product_id": 7, "quantity": 1, "price": Decimal("5.00")},
        {"product_id": 9, "quantity": 3, "price": Decimal("12.50")},
    ],
    "total_amount": Decimal("82.48"),
    "currency": "USD",
    "payment_method_id": "pm_card_visa",
    "email": "someone@example.com",
    "created_at": datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
}


def pydantic_pair() -> tuple[Callable[[], bytes], Callable[[bytes], object]]:
    order = OrderCreated.model_validate(FIELDS)

    def enc() -> bytes:
        event = order.to_event()
        return encode(Envelope(type=event.type, source="order", subject=event.key, data=event.data))

    def dec(raw: bytes) -> object:
        return parse(decode(raw))

    return enc, dec


def msgspec_pair() -> tuple[Callable[[], bytes], Callable[[bytes], object]]:
    items = [LineStruct(**line) for line in FIELDS["items"]]  # type: ignore[attr-defined]
    order = OrderCreatedStruct(**{**FIELDS, "items": items})  # type: ignore[arg-type]
    encoder, decoder = msgspec.json.Encoder(), msgspec.json.Decoder(EnvelopeStruct)

    def enc() -> bytes:
        envelope = EnvelopeStruct(
            uuid.uuid4(), "OrderCreated", "order", datetime.now(UTC), "4711", order
        )
        return encoder.encode(envelope)

    def dec(raw: bytes) -> object:
        return decoder.decode(raw).data

    return enc, dec


def per_event_us(fn: Callable[[], object], events: int) -> float:
    started = time.perf_counter()
    for _ in range(events):
        fn()
    return (time.perf_counter() - started) / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    codecs = {"pydantic": pydantic_pair(), "msgspec": msgspec_pair()}
    raw = {name: enc() for name, (enc, _) in codecs.items()}
    # Each decodes what the other wrote too: the two are wire-compatible.
    assert codecs["msgspec"][1](raw["pydantic"]) is not None
    assert codecs["pydantic"][1](raw["msgspec"]) is not None
    samples: dict[str, dict[str, list[float]]] = {n: {"enc": [], "dec": []} for n in codecs}
    for _ in range(args.rounds):
        for name, (enc, dec) in codecs.items():
            samples[name]["enc"].append(per_event_us(enc, args.events))
            data = raw[name]
            samples[name]["dec"].append(per_event_us(lambda d=data, f=dec: f(d), args.events))
    total = {}
    for name, parts in samples.items():
        enc_us, dec_us = statistics.median(parts["enc"]), statistics.median(parts["dec"])
        total[name] = enc_us + dec_us
        print(
            f"{name:9} encode {enc_us:6.1f} us  decode {dec_us:6.1f} us  ({len(raw[name])} bytes)"
        )
    ratio = total["pydantic"] / total["msgspec"]
    print(
        f"contract_codec: ratio={ratio:.2f} pydantic_us={total['pydantic']:.1f} "
        f"msgspec_us={total['msgspec']:.1f}"
    )


if __name__ == "__main__":
    main()
