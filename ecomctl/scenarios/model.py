"""What a scenario file says: steps in a small vocabulary, then what must hold at the end.

Scenarios are data (`scenarios/*.yaml`): each step is a one-key mapping naming an action
(`user`, `product`, `order`, `wait`, ...) with its arguments; `expect` lists the checks of the
final state. Parsing is strict (unknown actions and fields are errors with the step's number),
so a typo fails before anything touches the stack.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ecomctl.errors import UsageError

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,40}$")]
Status = Literal["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---- steps -------------------------------------------------------------------------------------
class UserStep(Strict):
    """Register a customer through the gateway and log in."""

    as_: Name = Field(alias="as")
    language: str = "en"


class ProductStep(Strict):
    """Create a product as the scenario's ADMIN, then set its stock."""

    as_: Name = Field(alias="as")
    price: str = "19.99"
    currency: str = "USD"
    stock: int = Field(ge=0)


class PaymentMethodStep(Strict):
    """Create a card PaymentMethod in the Stripe emulator (test card numbers drive outcomes)."""

    as_: Name = Field(alias="as")
    card: str = Field(pattern=r"^[0-9]{12,19}$")


class OrderLine(Strict):
    product: Name
    quantity: int = Field(ge=1)


class OrderStep(Strict):
    """POST /api/orders as a user, paying with a payment method."""

    as_: Name = Field(alias="as")
    user: Name
    card: Name
    items: list[OrderLine] = Field(min_length=1)


class WaitStep(Strict):
    """Poll the order until its status is one of `status`."""

    order: Name
    status: list[Status]
    timeout_s: float | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class WatchStep(Strict):
    """Follow the order's live tracking (GET /ws/orders/{id} through the gateway, as its
    owner) from now to the end of the scenario; `expect.pushed` checks what arrived."""

    order: Name


class WaitEventStep(Strict):
    """Wait until an event of `type` about the order is on its topic (the saga is mid-way)."""

    order: Name
    type: str
    timeout_s: float | None = None


class CancelStep(Strict):
    """PUT /api/orders/{id}/cancel as the order's owner."""

    order: Name
    accept: list[int] = Field(default_factory=lambda: [200])


class RepublishStep(Strict):
    """Publish every saga event of the order seen so far once more, byte-identical."""

    order: Name


class SettleStep(Strict):
    """Wait until every service's consumer group has caught up on the saga topics."""

    timeout_s: float = 30.0


class SnapshotStep(Strict):
    """Record the state of every service about the scenario's objects, to compare later."""

    as_: Name = Field(alias="as")


class KillStep(Strict):
    """kill -9 a service's process (its pid from the runtime's state)."""

    service: str


class PauseStep(Strict):
    """SIGSTOP a service's process: it holds its work until `resume` (SIGCONT)."""

    service: str


class ResumeStep(Strict):
    service: str


class RestartStep(Strict):
    """`ecomctl up --only SERVICE`: the runtime restarts what is not running."""

    service: str


class SleepStep(Strict):
    seconds: float = Field(ge=0, le=600)


class DeployStep(Strict):
    """`ecomctl deploy SERVICE`: its next color beside the serving one, with no traffic."""

    service: str
    env: dict[str, str] = Field(default_factory=dict)


class ReleaseStep(Strict):
    """`ecomctl switch SERVICE` while `user` places an order every `every_s` and reads it
    back; the switch must end as `expect`, and every order placed must end PAID."""

    service: str
    expect: Literal["promoted", "rolled-back"]
    user: Name
    card: Name
    items: list[OrderLine] = Field(min_length=1)
    steps: str = "25,100"
    pause: str = "6s"
    gate: str = "success>=99%,p95<=500ms"
    scale_down_delay: str = "3s"
    min_requests: int = Field(default=5, ge=1)
    every_s: float = Field(default=0.25, gt=0, le=10)


STEP_TYPES: dict[str, type[Strict]] = {
    "user": UserStep,
    "product": ProductStep,
    "payment_method": PaymentMethodStep,
    "order": OrderStep,
    "wait": WaitStep,
    "wait_event": WaitEventStep,
    "watch": WatchStep,
    "cancel": CancelStep,
    "republish": RepublishStep,
    "settle": SettleStep,
    "snapshot": SnapshotStep,
    "kill": KillStep,
    "restart": RestartStep,
    "pause": PauseStep,
    "resume": ResumeStep,
    "sleep": SleepStep,
    "deploy": DeployStep,
    "release": ReleaseStep,
}


# ---- expectations ------------------------------------------------------------------------------
class OrderExpect(Strict):
    status: Status
    reason_contains: str | None = None


class StockExpect(Strict):
    available: int | None = None
    reserved: int | None = None
    sold: int | None = None


class ChargeExpect(Strict):
    """Successful charges net of refunds, as the payment service records them."""

    net: int = Field(ge=0)


class MailExpect(Strict):
    """Emails in the SMTP sink to the user's address."""

    min: int = Field(default=1, ge=0)
    max: int | None = None


class EventsExpect(Strict):
    """Event types seen on the saga topics for the order (and types that must not be)."""

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


PushedStep = Literal["created", "reserved", "paid", "cancelled", "shipped"]


class TraceExpect(Strict):
    """Each order is one trace in Zipkin (checked when the stack runs Zipkin): one root,
    every parent present, at least `services_min` services, and error spans exactly those
    named here (a declined card's Stripe call), none by default."""

    error_spans: list[str] = Field(default_factory=list)
    services_min: int = Field(default=5, ge=1)
    check: bool = True
    """False: no trace check (a release's orders cross instances started, failed on purpose
    and stopped while they run; the saga scenarios check the traces)."""


class Expect(Strict):
    orders: dict[Name, OrderExpect] = Field(default_factory=dict)
    stock: dict[Name, StockExpect] = Field(default_factory=dict)
    charges: dict[Name, ChargeExpect] = Field(default_factory=dict)
    emails: dict[Name, MailExpect] = Field(default_factory=dict)
    notifications: dict[Name, MailExpect] = Field(default_factory=dict)
    events: dict[Name, EventsExpect] = Field(default_factory=dict)
    # The steps a `watch` of the order received over the WebSocket, exactly, in order.
    pushed: dict[Name, list[PushedStep]] = Field(default_factory=dict)
    dlq_max: int = Field(default=0, ge=0)
    unchanged_since: Name | None = None  # a snapshot: nothing may differ from it
    trace: TraceExpect = Field(default_factory=TraceExpect)


class Step(Strict):
    action: str
    spec: Strict


class Scenario(Strict):
    name: Name
    description: str
    timeout_s: float = Field(default=90.0, gt=0)
    steps: list[Step]
    expect: Expect


def parse_scenario(raw: Any, *, source: str) -> Scenario:
    """A scenario from parsed YAML; every problem is one UsageError naming the file and step."""
    if not isinstance(raw, dict):
        raise UsageError(f"{source}: a scenario is a mapping with name, description, steps")
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise UsageError(f"{source}: `steps` must be a non-empty list")
    steps = [_parse_step(item, source=source, number=i) for i, item in enumerate(steps_raw, 1)]
    body = {k: v for k, v in raw.items() if k != "steps"}
    body.setdefault("expect", {})
    try:
        return Scenario.model_validate({**body, "steps": steps})
    except ValidationError as exc:
        raise UsageError(f"{source}: {_first_error(exc)}") from None


def _parse_step(item: Any, *, source: str, number: int) -> Step:
    if not isinstance(item, dict) or len(item) != 1:
        raise UsageError(
            f"{source}: step {number} must be a one-key mapping like `- user: {{...}}`"
        )
    action, args = next(iter(item.items()))
    kind = STEP_TYPES.get(action)
    if kind is None:
        known = ", ".join(sorted(STEP_TYPES))
        raise UsageError(f"{source}: step {number}: unknown action {action!r} (known: {known})")
    try:
        return Step(action=action, spec=kind.model_validate(args or {}))
    except ValidationError as exc:
        raise UsageError(f"{source}: step {number} ({action}): {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
