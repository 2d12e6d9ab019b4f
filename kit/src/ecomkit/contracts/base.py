"""The base of every event contract: a typed payload that knows its topic, key and version.

Why pydantic and not msgspec (bench/contract_codec.py measures both on OrderCreated): msgspec
is about 4x faster (one run, 2 cores, load 9.9: encode 44 vs 12 us, decode 27 vs 5 us per
event), but an order's saga writes about 6 events and reads about 12, so the difference is
about 0.5 ms of the 70-110 ms of CPU the services spend per order (under 1 %). The kit's
envelope is already a pydantic model (a msgspec payload would be decoded twice: envelope,
then data), and the JSON Schema that `ecomctl events check` compares and `ecomctl events
docs` publishes comes from pydantic as it is, with no second dependency in every service.

A contract class declares, as class variables:

- `topic` (a `Topic`), `key_field` (the field whose value is the Kafka key, so one order's
  or one product's events stay in order) and `aggregate` ("order", "product");
- `schema_version`: bump it for a change that would break readers of the previous version
  (a removed, renamed or retyped field, a new field without a default);
- `upcasters`: for each older version N still in the topics, a function turning a version-N
  payload into a version N+1 payload, so old events stay readable after a bump.

The event type is the name of the class that declares the topic, unless `event_type` says
otherwise; a subclass that declares no topic is the same event (e.g. a variant in a test).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError, WithJsonSchema

from ecomkit.contracts.topics import Topic
from ecomkit.events import Event, UndecodableEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

Money = Annotated[
    Decimal,
    WithJsonSchema(
        {"type": "string", "format": "decimal", "description": 'a decimal string, e.g. "19.99"'}
    ),
]
"""An amount: a Decimal in Python, a decimal string on the wire (never a float)."""


class ContractError(UndecodableEvent):
    """An envelope no contract can read; retrying cannot help (the consumer's DLQ path)."""


class UnknownEventType(ContractError):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"no contract for event type {event_type!r}")
        self.event_type = event_type


class UnknownSchemaVersion(ContractError):
    def __init__(self, event_type: str, version: int, readable: list[int]) -> None:
        known = ", ".join(map(str, readable))
        super().__init__(
            f"{event_type} schema_version {version} cannot be read (this contract reads {known})"
        )
        self.event_type = event_type
        self.version = version


class InvalidEventData(ContractError):
    def __init__(self, event_type: str, version: int, error: ValidationError) -> None:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(data)"
        super().__init__(f"{event_type} v{version}: {where}: {first['msg']}")
        self.event_type = event_type


class Contract(BaseModel):
    """One event's payload (the envelope's `data`), typed and versioned."""

    # Readers ignore fields they do not know: adding an optional field breaks nobody.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[Topic]
    key_field: ClassVar[str]
    aggregate: ClassVar[str]
    schema_version: ClassVar[int] = 1
    upcasters: ClassVar[Mapping[int, Upcaster]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "topic" in cls.__dict__ and "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__

    @property
    def key(self) -> str:
        return str(getattr(self, self.key_field))

    def payload(self) -> dict[str, Any]:
        """The JSON-ready `data` of the envelope, in the wire's field names."""
        return self.model_dump(mode="json", by_alias=True)

    def to_event(self) -> Event:
        """The kit event a unit of work records (and the outbox publishes)."""
        return Event(
            type=self.event_type,
            topic=self.topic,
            key=self.key,
            subject=self.key,
            data=self.payload(),
            aggregate_type=self.aggregate,
            schema_version=self.schema_version,
        )

    @classmethod
    def readable_versions(cls) -> list[int]:
        """The current version and every older one an upcaster chain reaches."""
        versions = [cls.schema_version]
        while versions[0] - 1 in cls.upcasters:
            versions.insert(0, versions[0] - 1)
        return versions

    @classmethod
    def from_data(cls, data: Mapping[str, Any], version: int) -> Self:
        """Read a payload written with `version`, upcasting it to the current version."""
        if version not in cls.readable_versions():
            raise UnknownSchemaVersion(cls.event_type, version, cls.readable_versions())
        payload = dict(data)
        for older in range(version, cls.schema_version):
            payload = cls.upcasters[older](payload)
        try:
            return cls.model_validate(payload)
        except ValidationError as error:
            raise InvalidEventData(cls.event_type, version, error) from error
