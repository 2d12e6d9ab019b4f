import pytest

from ecomkit.events import Envelope, Event, UndecodableEvent, decode, encode, uuid7


def test_envelope_round_trips() -> None:
    env = Envelope(type="OrderCreated", source="order", subject="42", data={"total": "9.99"})
    assert decode(encode(env)) == env
    assert env.schema_version == 1


@pytest.mark.parametrize("raw", [None, b"", b"{}", b"not json", b'{"type": 1}'])
def test_undecodable_bytes_are_reported(raw: bytes | None) -> None:
    with pytest.raises(UndecodableEvent):
        decode(raw)


def test_uuid7_is_time_ordered_and_unique() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert ids[0].version == 7


def test_event_aggregate_id_defaults_to_key() -> None:
    assert Event(type="T", topic="t", key="k", data={}).aggregate_id == "k"
    assert Event(type="T", topic="t", key="k", data={}, subject="s").aggregate_id == "s"
