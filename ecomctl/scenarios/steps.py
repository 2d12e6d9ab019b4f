"""One function per step action: what `- user: {...}`, `- order: {...}`, ... do to the stack.

Each takes the world and the step's parsed arguments and returns a one-line summary; a step
that cannot do its job raises StepFailed (the scenario stops and reports why).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ecomctl.errors import EcomctlError
from ecomctl.scenarios import model
from ecomctl.scenarios.checks import records_by_order, saga_records
from ecomctl.scenarios.client import pick
from ecomctl.scenarios.kafka import SAGA_CONSUMERS
from ecomctl.scenarios.ports import Releases
from ecomctl.scenarios.timeline import Entry
from ecomctl.scenarios.world import Order, User, World

PASSWORD = "Scenario-pass-42"
POLL_S = 0.2
SETTLE_QUIET_S = 1.0  # consumer lag must stay at zero this long (relays publish follow-ups)
DEFAULT_WAIT_S = 60.0


class StepFailed(EcomctlError):
    """A step could not do what the scenario says."""


def _client(
    world: World,
    action: str,
    detail: str = "",
    order: str | None = None,
    at: datetime | None = None,
) -> None:
    world.client_entries.append(
        Entry(
            at=at or datetime.now(UTC),
            actor="client",
            action=action,
            origin="client",
            order=order,
            detail=detail,
        )
    )


def admin_token(world: World) -> str:
    if world.admin_token is None:
        username, password = world.adapters.admin.credentials()
        world.admin_token = world.adapters.api.login(username, password)
    return world.admin_token


def user(world: World, step: model.UserStep) -> str:
    api = world.adapters.api
    username = f"{step.as_}-{world.run_id}"
    email = f"{username}@example.com"
    api.register(username, PASSWORD, email=email, language=step.language)
    token = api.login(username, PASSWORD)
    user_id = api.my_id(token)
    world.users[step.as_] = User(user_id, username, email, token)
    _client(world, "POST /api/auth/register", f"{username} (id {user_id})")
    return f"registered {username} (id {user_id}, {step.language}) and logged in"


def product(world: World, step: model.ProductStep) -> str:
    token = admin_token(world)
    api = world.adapters.api
    sku = f"SCN-{step.as_}-{world.run_id}".upper()
    product_id = api.create_product(
        token,
        sku=sku,
        name=f"{step.as_} ({world.run_id})",
        price=step.price,
        currency=step.currency,
    )
    api.set_stock(token, product_id, step.stock)
    world.products[step.as_] = product_id
    _client(world, "POST /api/products", f"{sku} id {product_id}, stock {step.stock}")
    return f"product {sku} (id {product_id}) at {step.price} {step.currency}, stock {step.stock}"


def payment_method(world: World, step: model.PaymentMethodStep) -> str:
    pm = world.adapters.cards.create_payment_method(step.card)
    world.cards[step.as_] = pm
    return f"card …{step.card[-4:]} is payment method {pm}"


def order(world: World, step: model.OrderStep) -> str:
    owner = world.user(step.user)
    items = [
        {"productId": world.product(line.product), "quantity": line.quantity} for line in step.items
    ]
    sent = datetime.now(UTC)  # the call's start: the events it causes come after it
    body = world.adapters.api.create_order(
        owner.token,
        items=items,
        payment_method_id=world.card(step.card),
        idempotency_key=f"{world.run_id}-{step.as_}",
    )
    order_id = int(body["id"])
    number = pick(body, "orderNumber")
    world.orders[step.as_] = Order(order_id, step.user, number)
    total = pick(body, "totalAmount")
    _client(world, "POST /api/orders", f"order {order_id} total {total}", step.as_, sent)
    return f"order {order_id} ({number}) {pick(body, 'status')}, total {total}"


def wait(world: World, step: model.WaitStep) -> str:
    found = world.order(step.order)
    token = world.user(found.user).token
    deadline = time.monotonic() + world.remaining(step.timeout_s or DEFAULT_WAIT_S)
    status = None
    while time.monotonic() < deadline:
        status = pick(world.adapters.api.order(token, found.id), "status")
        if status in step.status:
            return f"order {found.id} is {status}"
        time.sleep(POLL_S)
    raise StepFailed(f"order {found.id} is still {status}, not {' or '.join(step.status)}")


def watch(world: World, step: model.WatchStep) -> str:
    found = world.order(step.order)
    tracking = world.adapters.tracking
    if tracking is None:
        raise StepFailed("this platform offers no live tracking to watch")
    world.watches[step.order] = tracking.follow(world.user(found.user).token, found.id)
    return f"watching order {found.id} live"


def wait_event(world: World, step: model.WaitEventStep) -> str:
    found = world.order(step.order)
    deadline = time.monotonic() + world.remaining(step.timeout_s or DEFAULT_WAIT_S)
    while time.monotonic() < deadline:
        records = records_by_order(world, saga_records(world)).get(step.order, [])
        for record in records:
            if record.envelope().get("type") == step.type:
                return f"{step.type} for order {found.id} is on {record.topic}"
        time.sleep(POLL_S * 2)
    raise StepFailed(f"no {step.type} for order {found.id} appeared")


def cancel(world: World, step: model.CancelStep) -> str:
    found = world.order(step.order)
    sent = datetime.now(UTC)
    response = world.adapters.api.cancel(world.user(found.user).token, found.id)
    action = f"PUT /api/orders/{found.id}/cancel"
    _client(world, action, f"answered {response.status_code}", step.order, sent)
    if response.status_code not in step.accept:
        raise StepFailed(
            f"cancel of order {found.id} answered {response.status_code}: {response.text[:200]}"
        )
    return f"cancel of order {found.id} answered {response.status_code}"


def republish(world: World, step: model.RepublishStep) -> str:
    found = world.order(step.order)
    records = records_by_order(world, saga_records(world)).get(step.order, [])
    first: dict[str, Any] = {}
    for record in records:  # each event once, even if it was already delivered twice
        first.setdefault(str(record.envelope().get("id") or record.offset), record)
    count = world.adapters.events.publish(first.values())
    _client(world, "republish", f"{count} saga event(s) of order {found.id}", order=step.order)
    return f"re-published {count} saga event(s) of order {found.id}, byte-identical"


def settle(world: World, step: model.SettleStep) -> str:
    deadline = time.monotonic() + world.remaining(step.timeout_s)
    quiet_since: float | None = None
    lag: dict[str, int] = {}
    while time.monotonic() < deadline:
        lag = world.adapters.events.lag(SAGA_CONSUMERS)
        if any(lag.values()):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= SETTLE_QUIET_S:
            return "every consumer group caught up"
        time.sleep(POLL_S)
    raise StepFailed(f"consumers still behind: {lag}")


def snapshot(world: World, step: model.SnapshotStep) -> str:
    from ecomctl.scenarios.checks import collect_state
    from ecomctl.scenarios.checks import snapshot as take

    world.snapshots[step.as_] = take(collect_state(world))
    return f"snapshot {step.as_} of every service's state"


def kill(world: World, step: model.KillStep) -> str:
    pid = world.adapters.services.kill(step.service)
    _client(world, f"kill -9 {step.service}", f"pid {pid}")
    return f"killed {step.service} (pid {pid}) with SIGKILL"


def pause(world: World, step: model.PauseStep) -> str:
    pid = world.adapters.services.pause(step.service)
    world.paused.add(step.service)
    _client(world, f"SIGSTOP {step.service}", f"pid {pid}")
    return f"paused {step.service} (pid {pid}) with SIGSTOP"


def resume(world: World, step: model.ResumeStep) -> str:
    pid = world.adapters.services.resume(step.service)
    world.paused.discard(step.service)
    _client(world, f"SIGCONT {step.service}", f"pid {pid}")
    return f"resumed {step.service} (pid {pid}) with SIGCONT"


def restart(world: World, step: model.RestartStep) -> str:
    world.adapters.services.restart(step.service)
    _client(world, f"restart {step.service}", "ecomctl up --only")
    return f"{step.service} restarted and ready"


def sleep(world: World, step: model.SleepStep) -> str:
    time.sleep(min(step.seconds, world.remaining()))
    return f"slept {step.seconds:g} s"


def _releases(world: World) -> Releases:
    if world.adapters.releases is None:
        raise StepFailed("this run cannot deploy or switch services (no release adapter)")
    return world.adapters.releases


def deploy(world: World, step: model.DeployStep) -> str:
    described = _releases(world).deploy(step.service, dict(step.env))
    world.deployed.add(step.service)
    _client(world, f"ecomctl deploy {step.service}", described)
    return f"{step.service}: {described} is up beside the serving color, with no traffic"


def release(world: World, step: model.ReleaseStep) -> str:
    """The switch runs in a thread; this one keeps placing orders until it ends."""
    options = {
        "steps": step.steps,
        "pause": step.pause,
        "gate": step.gate,
        "scale_down_delay": step.scale_down_delay,
        "min_requests": step.min_requests,
    }
    outcome: list[str] = []
    failure: list[BaseException] = []

    def emit(event: dict[str, Any]) -> None:
        if event.get("event") in ("weights", "analysis", "rolling-back", "promoted", "rolled-back"):
            detail = event.get("summary") or event.get("reason") or event.get("colors") or ""
            verdict = event.get("verdict", "")
            _client(
                world, f"switch {step.service}: {event['event']} {verdict}".strip(), str(detail)
            )

    def drive() -> None:
        try:
            outcome.append(_releases(world).switch(step.service, options, emit))
        except BaseException as exc:  # reported by the step, not lost in the thread
            failure.append(exc)

    driver = threading.Thread(target=drive, name="switch", daemon=True)
    driver.start()
    try:
        placed, failed = _orders_while(world, step, driver)
    finally:  # the switch decides, whatever happened to the orders
        driver.join(timeout=world.remaining())
    if outcome:
        world.deployed.discard(step.service)
    if failure:
        raise StepFailed(f"the switch failed: {failure[0]}")
    if not outcome:
        raise StepFailed("the switch did not end in time")
    if outcome[0] != step.expect:
        raise StepFailed(f"the switch ended {outcome[0]}, expected {step.expect}")
    if step.expect == "promoted" and failed:
        raise StepFailed(f"{failed} request(s) failed while a good release was switched to")
    _all_paid(world, placed)
    refused = f"{failed} request(s) refused"
    return f"{outcome[0]}; {len(placed)} order(s) placed during the switch ({refused}), all PAID"


def _orders_while(
    world: World, step: model.ReleaseStep, driver: threading.Thread
) -> tuple[list[str], int]:
    owner = world.user(step.user)
    items = [
        {"productId": world.product(line.product), "quantity": line.quantity} for line in step.items
    ]
    placed: list[str] = []
    failed = 0
    while driver.is_alive() and world.remaining() > 5:
        name = f"release-{len(placed) + failed + 1}"
        try:
            body = world.adapters.api.create_order(
                owner.token,
                items=items,
                payment_method_id=world.card(step.card),
                idempotency_key=f"{world.run_id}-{name}",
            )
        except Exception:  # a refused order is the client's loss to count, not a crash
            failed += 1
        else:
            world.orders[name] = Order(int(body["id"]), step.user, pick(body, "orderNumber"))
            placed.append(name)
            try:  # read it back, too: reads go through the canary as well
                world.adapters.api.order(owner.token, int(body["id"]))
            except Exception:
                failed += 1
        time.sleep(step.every_s)
    return placed, failed


def _all_paid(world: World, names: list[str]) -> None:
    deadline = time.monotonic() + world.remaining(DEFAULT_WAIT_S)
    waiting = list(names)
    while waiting and time.monotonic() < deadline:
        found = world.order(waiting[0])
        status = pick(world.adapters.api.order(world.user(found.user).token, found.id), "status")
        if status == "PAID":
            waiting.pop(0)
        elif status == "CANCELLED":
            raise StepFailed(f"order {found.id}, placed during the switch, was cancelled")
        else:
            time.sleep(POLL_S)
    if waiting:
        raise StepFailed(f"{len(waiting)} order(s) placed during the switch are not PAID")


HANDLERS: dict[str, Callable[[World, Any], str]] = {
    "user": user,
    "product": product,
    "payment_method": payment_method,
    "order": order,
    "wait": wait,
    "wait_event": wait_event,
    "watch": watch,
    "cancel": cancel,
    "republish": republish,
    "settle": settle,
    "snapshot": snapshot,
    "kill": kill,
    "restart": restart,
    "pause": pause,
    "resume": resume,
    "sleep": sleep,
    "deploy": deploy,
    "release": release,
}
