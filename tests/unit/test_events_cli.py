"""`ecomctl events check` and `events docs`: the compatibility rules, a deliberate
breaking change refused through the CLI, and the AsyncAPI document against the official
schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any, ClassVar

import ecomkit.contracts as kit_contracts
import jsonschema
import pytest
import yaml
from ecomkit.contracts import Contract, Money, OrderCreated, OrderLineItem, Topic
from typer.testing import CliRunner

from ecomctl.cli.app import app
from ecomctl.contracts import Snapshot, compatibility, current, differences
from ecomctl.contracts.asyncapi import asyncapi_document
from ecomctl.contracts.check import BreakingChanges
from ecomctl.contracts.snapshot import default_snapshot_path, snapshot_of
from ecomctl.stack.loader import load_stack

SPECS = "asyncapi-specs-6.11.1.tgz"
SPECS_MEMBER = "package/schemas/3.0.0-without-$id.json"
SCHEMA_CACHE = Path.home() / ".cache" / "ecomctl" / "test-schemas"

runner = CliRunner()


def events(*args: str) -> Any:
    return runner.invoke(app, ["events", *args], env={"NO_COLOR": "1", "COLUMNS": "200"})


@pytest.fixture
def snapshot_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "snapshot.json"
    shutil.copy(default_snapshot_path(), copy)
    return copy


def replace_contract(monkeypatch: pytest.MonkeyPatch, contract: type[Contract]) -> None:
    """The kit's contracts with `contract` in place of the one of the same event type."""
    swapped = tuple(
        contract if c.event_type == contract.event_type else c for c in kit_contracts.CONTRACTS
    )
    monkeypatch.setattr(kit_contracts, "CONTRACTS", swapped)


class _OrderCreatedBase(Contract):
    event_type: ClassVar[str] = "OrderCreated"
    topic: ClassVar[Topic] = Topic.ORDER_CREATED
    key_field: ClassVar[str] = "order_id"
    aggregate: ClassVar[str] = "order"


class RetypedAndRemoved(_OrderCreatedBase):
    """OrderCreated with total_amount a float and email gone, still version 1."""

    order_id: int
    user_id: int
    order_number: str
    items: list[OrderLineItem]
    total_amount: float
    currency: str
    payment_method_id: str | None
    created_at: str


class WithOptionalField(OrderCreated):
    coupon: str | None = None


# --- the command on the unchanged tree ----------------------------------------------------


def test_check_passes_on_the_unchanged_tree_and_the_snapshot_is_current() -> None:
    result = events("check")
    assert result.exit_code == 0, result.output
    assert "contracts match" in result.output
    assert "out of date" not in result.output


def test_check_json_on_the_unchanged_tree() -> None:
    payload = json.loads(events("check", "--json").stdout)
    assert payload["ok"] is True and payload["problems"] == [] and payload["stale"] is False


# --- a deliberate breaking change -----------------------------------------------------------


def test_a_removed_and_a_retyped_field_are_refused_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, snapshot_copy: Path
) -> None:
    replace_contract(monkeypatch, RetypedAndRemoved)
    result = events("check", "--against", str(snapshot_copy))
    assert result.exit_code == 1
    assert isinstance(result.exception, BreakingChanges)
    lines = result.output.splitlines()
    assert (
        "error: OrderCreated: field total_amount retyped string(decimal) → number "
        "without a new schema_version (still 1)" in lines
    )
    assert (
        "error: OrderCreated: field email removed without a new schema_version (still 1)" in lines
    )
    assert "error: OrderCreated: field created_at retyped string(date-time) → string" in " ".join(
        lines
    )
    assert "3 breaking change(s) refused" in str(result.exception)


def test_update_is_refused_for_a_breaking_change_and_leaves_the_snapshot(
    monkeypatch: pytest.MonkeyPatch, snapshot_copy: Path
) -> None:
    before = snapshot_copy.read_text()
    replace_contract(monkeypatch, RetypedAndRemoved)
    result = events("check", "--against", str(snapshot_copy), "--update", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["updated"] is False
    assert snapshot_copy.read_text() == before


def test_an_optional_field_is_compatible_and_update_records_it(
    monkeypatch: pytest.MonkeyPatch, snapshot_copy: Path
) -> None:
    replace_contract(monkeypatch, WithOptionalField)
    result = events("check", "--against", str(snapshot_copy))
    assert result.exit_code == 0
    assert "compatible: OrderCreated: optional field coupon added" in result.output
    assert "out of date" in result.output
    assert events("check", "--against", str(snapshot_copy), "--update").exit_code == 0
    again = events("check", "--against", str(snapshot_copy))
    assert again.exit_code == 0 and "contracts match" in again.output


def test_a_bumped_version_needs_an_upcaster(
    monkeypatch: pytest.MonkeyPatch, snapshot_copy: Path
) -> None:
    class Bumped(RetypedAndRemoved):
        schema_version: ClassVar[int] = 2

    replace_contract(monkeypatch, Bumped)
    refused = events("check", "--against", str(snapshot_copy))
    assert refused.exit_code == 1
    assert "OrderCreated: version 1 → 2 without an upcaster from version 1" in refused.output

    class Upcast(Bumped):
        upcasters: ClassVar[Any] = {1: lambda data: {**data, "total_amount": 0.0}}

    replace_contract(monkeypatch, Upcast)
    accepted = events("check", "--against", str(snapshot_copy), "--update")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(snapshot_copy.read_text())["events"]["OrderCreated"]["version"] == 2


def test_a_bad_snapshot_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "snapshot.json"
    bad.write_text('{"format": 1, "topics": []}')
    result = events("check", "--against", str(bad))
    assert result.exit_code != 0 and "not a contracts snapshot" in str(result.exception)


# --- the rules, on snapshots ----------------------------------------------------------------


def _without(snapshot: Snapshot, *, event: str | None = None, topic: str | None = None) -> Snapshot:
    return Snapshot(
        topics=tuple(t for t in snapshot.topics if t != topic),
        events={k: v for k, v in snapshot.events.items() if k != event},
    )


def test_a_removed_event_or_topic_is_breaking() -> None:
    now = current()
    problems = compatibility(
        now, _without(now, event="RefundCompleted", topic="notification-events")
    )
    assert [p.line() for p in problems] == [
        "notification-events: topic removed",
        "RefundCompleted: event removed",
    ]
    added = differences(_without(now, event="RefundCompleted"), now)
    assert [(p.kind, p.breaking) for p in added] == [("added-event", False)]


def test_a_new_required_field_and_a_removed_nested_field_are_breaking() -> None:
    class Line(OrderLineItem):
        price: Money | None = None  # made optional: a retype (null is new)

    class Created(OrderCreated):
        items: list[Line]  # type: ignore[assignment]
        channel: str  # new, no default

    before = current()
    before = Snapshot(before.topics, {"OrderCreated": before.events["OrderCreated"]})
    after = snapshot_of([Created], before.topics)
    assert [(p.kind, p.message) for p in compatibility(before, after)] == [
        (
            "retyped-field",
            "field items[].price retyped string(decimal) → null|string(decimal) "
            "without a new schema_version (still 1)",
        ),
        (
            "required-field",
            "new field channel is required (no default) without a new schema_version (still 1)",
        ),
    ]


def test_every_committed_contract_matches_its_snapshot_entry() -> None:
    assert differences(current(), current()) == []
    assert (
        compatibility(
            Snapshot.from_json(
                json.loads(default_snapshot_path().read_text()), source="snapshot.json"
            ),
            current(),
        )
        == []
    )


# --- topics: the stack and the registry -----------------------------------------------------


def test_every_stack_topic_is_in_the_registry_and_back() -> None:
    stack = load_stack()
    declared = {t.name for t in stack.topics}
    assert declared == {str(t) for t in Topic}
    for name, service in stack.services.items():
        unknown = set(service.publishes + service.consumes) - declared
        assert not unknown, f"{name}: {unknown}"
    published = {t for s in stack.services.values() for t in s.publishes}
    assert {str(c.topic) for c in kit_contracts.CONTRACTS} <= published


# --- AsyncAPI ---------------------------------------------------------------------------------


def _specs_tarball() -> Path:
    tarball = SCHEMA_CACHE / SPECS
    if not tarball.is_file():
        npm = shutil.which("npm")
        assert npm, (
            "npm is needed once to fetch @asyncapi/specs (scripts/assets/asyncapi-schema.sh)"
        )
        SCHEMA_CACHE.mkdir(parents=True, exist_ok=True)
        command = [npm, "pack", "@asyncapi/specs@6.11.1", "--silent"]
        subprocess.run(command, cwd=SCHEMA_CACHE, check=True, timeout=300, capture_output=True)
    return tarball


@pytest.fixture(scope="module")
def asyncapi_validator() -> jsonschema.protocols.Validator:
    with tarfile.open(_specs_tarball()) as tar:
        member = tar.extractfile(SPECS_MEMBER)
        assert member is not None
        schema = json.load(member)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def _errors(validator: jsonschema.protocols.Validator, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_docs_command_writes_a_valid_asyncapi_document(
    tmp_path: Path, asyncapi_validator: jsonschema.protocols.Validator
) -> None:
    target = tmp_path / "asyncapi.yaml"
    result = events("docs", "-o", str(target))
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(target.read_text())
    assert document["asyncapi"] == "3.0.0"
    assert _errors(asyncapi_validator, document) == []
    for ref in _refs(document):
        _resolve(document, ref)  # every reference points somewhere
    as_json = json.loads(events("docs", "--format", "json").stdout)
    assert as_json == document


def test_the_document_says_who_sends_and_receives_what(
    asyncapi_validator: jsonschema.protocols.Validator,
) -> None:
    document = asyncapi_document(snapshot=current(), stack=load_stack(), version="1")
    operations = document["operations"]
    assert operations["order.send.order-created"]["action"] == "send"
    assert operations["inventory.receive.order-created"]["messages"] == [
        {"$ref": "#/channels/order-created/messages/OrderCreated"}
    ]
    assert document["channels"]["order-created"]["bindings"]["kafka"]["partitions"] == 6
    schema = document["components"]["schemas"]["OrderCreated"]
    assert schema["properties"]["items"]["items"] == {"$ref": "#/components/schemas/OrderLineItem"}
    assert "productId" in document["components"]["schemas"]["ReviewAdded"]["properties"]


def test_the_official_schema_really_checks(
    asyncapi_validator: jsonschema.protocols.Validator,
) -> None:
    document = asyncapi_document(snapshot=current(), stack=load_stack(), version="1")
    document["operations"]["order.send.order-created"]["action"] = "publish"  # AsyncAPI 2 verb
    del document["info"]["title"]
    assert len(_errors(asyncapi_validator, document)) >= 2
