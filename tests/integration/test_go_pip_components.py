"""FerretDB, Mailpit and localstripe started straight from their ProcessSpec, on free ports.

Each test installs into the ecomctl cache when needed (a no-op after
`ecomctl infra install`), starts the server as the local runtime does and
drives a real protocol round trip. The behaviours asserted about FerretDB's
aggregation gaps and localstripe's test cards are what services must live
with; the component modules' docstrings say the same.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psutil
import pymongo
import pytest
from pymongo.errors import OperationFailure

from ecomctl import config
from ecomctl.infra.component import ComponentContext, InfraComponent
from ecomctl.infra.components import smtp as smtp_mod
from ecomctl.infra.components import stripe as stripe_mod
from ecomctl.infra.registry import get_component
from ecomctl.stack.model import Stack
from tests.unit.conftest import free_port

pytestmark = pytest.mark.integration


def make_ctx(name: str, root: Path) -> ComponentContext:
    component = get_component(name)
    extra = {key: free_port() for key in component.extra_ports}
    stack = Stack.model_validate(
        {
            "name": "t" + uuid.uuid4().hex[:8],
            "infra": {name: {"port": free_port(), "extra_ports": extra}},
        }
    )
    spec = stack.infra[name]
    cache = config.cache_dir()
    installation = component.locate(cache) or component.install(cache, lambda line: None)
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port,
        ports=dict(spec.extra_ports),
        host="127.0.0.1",
        data_dir=root / "data",
        run_dir=root / "run",
        log_file=root / f"{name}.log",
        installation=installation,
    )


@contextmanager
def running(component: InfraComponent, ctx: ComponentContext) -> Iterator[subprocess.Popen[bytes]]:
    """Prepare, start, wait for readiness; stop with the spec's signal and wait for the exit."""
    component.prepare(ctx)
    spec = component.process(ctx)
    with ctx.log_file.open("ab") as log:
        proc = subprocess.Popen(
            spec.argv,
            env={**os.environ, **spec.env},
            cwd=spec.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(component, ctx, proc)
        component.after_ready(ctx)
        yield proc
    finally:
        proc.send_signal(spec.stop_signal)
        try:
            proc.wait(spec.stop_timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{ctx.name} ignored signal {spec.stop_signal}") from None


def wait_ready(
    component: InfraComponent, ctx: ComponentContext, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + component.ready_timeout_s
    while True:
        assert proc.poll() is None, f"exited {proc.returncode}: {ctx.log_file.read_text()[-3000:]}"
        try:
            component.check_ready(ctx)
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not ready: {exc}\n{ctx.log_file.read_text()[-3000:]}"
                ) from exc
            time.sleep(0.3)


def listening(proc: subprocess.Popen[bytes]) -> set[tuple[str, int]]:
    """Every (ip, port) the process listens on."""
    connections = psutil.Process(proc.pid).net_connections(kind="inet")
    return {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}


def expected_sockets(ctx: ComponentContext) -> set[tuple[str, int]]:
    return {("127.0.0.1", port) for port in [ctx.port, *ctx.ports.values()]}


# --- mongo (FerretDB) -------------------------------------------------------


def mongo(ctx: ComponentContext) -> pymongo.MongoClient[dict[str, Any]]:
    return pymongo.MongoClient(
        ctx.host, ctx.port, directConnection=True, serverSelectionTimeoutMS=5000
    )


def test_ferretdb_round_trip_restart_and_only_its_own_port(tmp_path: Path) -> None:
    component = get_component("mongo")
    ctx = make_ctx("mongo", tmp_path)
    review = {"product": "p-" + uuid.uuid4().hex, "rating": 4}
    with running(component, ctx) as proc:
        assert listening(proc) == expected_sockets(ctx)  # no debug listener on 8088
        with mongo(ctx) as client:
            client.reviews.reviews.insert_one(dict(review))
            found = client.reviews.reviews.find_one({"product": review["product"]}, {"_id": 0})
            assert found == review
            assert "reviews" in client.list_database_names()
    with running(component, ctx), mongo(ctx) as client:
        assert client.reviews.reviews.count_documents({"product": review["product"]}) == 1
    assert list((ctx.data_dir / "sqlite").glob("reviews.sqlite*"))


def test_ferretdb_aggregation_gaps(tmp_path: Path) -> None:
    """What a service computing review averages must know about FerretDB 1.24."""
    component = get_component("mongo")
    ctx = make_ctx("mongo", tmp_path)
    with running(component, ctx), mongo(ctx) as client:
        reviews = client.shop.reviews
        reviews.insert_many([{"p": "a", "r": 4}, {"p": "a", "r": 5}, {"p": "b", "r": 3}])
        with pytest.raises(OperationFailure, match=r"\$avg"):
            list(reviews.aggregate([{"$group": {"_id": "$p", "avg": {"$avg": "$r"}}}]))
        sums = reviews.aggregate(
            [{"$group": {"_id": "$p", "t": {"$sum": "$r"}}}, {"$sort": {"_id": 1}}]
        )
        counts = reviews.aggregate(
            [{"$group": {"_id": "$p", "n": {"$count": {}}}}, {"$sort": {"_id": 1}}]
        )
        assert [d["t"] for d in sums] == [9, 3]
        assert [d["n"] for d in counts] == [2, 1]
        both = reviews.aggregate(
            [
                {"$group": {"_id": "$p", "t": {"$sum": "$r"}, "n": {"$count": {}}}},
                {"$sort": {"_id": 1}},
            ]
        )
        assert [(d["t"], d["n"]) for d in both] == [(9, 0), (3, 0)]  # only the first accumulator


# --- smtp (Mailpit) ---------------------------------------------------------


def send(ctx: ComponentContext, to: str, subject: str, *, login: bool = False) -> None:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Your order is paid.")
    with smtplib.SMTP(ctx.host, ctx.port, timeout=10) as client:
        if login:
            client.login("notification-service", "any-password")
        client.send_message(message)


def test_mailpit_accepts_mail_and_lists_it_over_http(tmp_path: Path) -> None:
    component = get_component("smtp")
    ctx = make_ctx("smtp", tmp_path)
    base = smtp_mod.api_url(ctx.host, ctx.ports["http"])
    alice, bob = (
        f"alice-{uuid.uuid4().hex[:6]}@example.com",
        f"bob-{uuid.uuid4().hex[:6]}@example.com",
    )
    with running(component, ctx) as proc:
        assert listening(proc) == expected_sockets(ctx)
        info = httpx.get(f"{base}/api/v1/info", timeout=5).json()
        assert info["Version"] == f"v{smtp_mod.DEFAULT_VERSION}"
        send(ctx, alice, "Order 1 paid")
        send(ctx, bob, "Order 2 paid", login=True)  # AUTH without TLS is accepted
        messages = smtp_mod.list_messages(base)
        assert {m["Subject"] for m in messages} == {"Order 1 paid", "Order 2 paid"}
        only_bob = smtp_mod.list_messages(base, query=f"to:{bob}")
        assert [m["To"][0]["Address"] for m in only_bob] == [bob]
    with running(component, ctx):  # the database under data_dir keeps the mail
        assert len(smtp_mod.list_messages(base)) == 2


# --- stripe (localstripe) -----------------------------------------------------


def stripe_client(ctx: ComponentContext) -> httpx.Client:
    return httpx.Client(
        base_url=stripe_mod.api_url(ctx.host, ctx.port),
        auth=(stripe_mod.TEST_SECRET_KEY, ""),
        timeout=10,
    )


def payment_method(client: httpx.Client, number: str) -> str:
    card = {
        "card[number]": number,
        "card[exp_month]": "12",
        "card[exp_year]": "2034",
        "card[cvc]": "123",
    }
    response = client.post("/v1/payment_methods", data={"type": "card", **card})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def charge(client: httpx.Client, number: str) -> httpx.Response:
    method = payment_method(client, number)
    return client.post(
        "/v1/payment_intents",
        data={"amount": "4999", "currency": "usd", "payment_method": method, "confirm": "true"},
    )


def test_localstripe_charges_declines_and_keeps_state(tmp_path: Path) -> None:
    component = get_component("stripe")
    ctx = make_ctx("stripe", tmp_path)
    with running(component, ctx) as proc, stripe_client(ctx) as client:
        assert listening(proc) == expected_sockets(ctx)
        assert (
            httpx.get(f"{stripe_mod.api_url(ctx.host, ctx.port)}/v1/customers").status_code == 401
        )

        paid = charge(client, stripe_mod.CARD_OK)
        assert paid.status_code == 200 and paid.json()["status"] == "succeeded"

        declined = charge(client, stripe_mod.CARD_DECLINED_AT_CHARGE)
        assert declined.status_code == 402
        assert declined.json()["error"]["code"] == "card_declined"

        customer = client.post("/v1/customers", data={"email": "alice@example.com"}).json()["id"]
        method = payment_method(client, stripe_mod.CARD_DECLINED_ON_ATTACH)
        attach = client.post(f"/v1/payment_methods/{method}/attach", data={"customer": customer})
        assert attach.status_code == 402 and attach.json()["error"]["code"] == "card_declined"
        # Unlike real Stripe, charging 4000000000000002 directly succeeds in localstripe.
        assert charge(client, stripe_mod.CARD_DECLINED_ON_ATTACH).status_code == 200
        # Saved while running (a forked child writes the snapshot within ~1 s), not only at
        # a clean stop: a killed emulator keeps all but the last second of its payments.
        deadline = time.monotonic() + 10
        while not (ctx.data_dir / "localstripe.pickle").is_file():
            assert time.monotonic() < deadline, "no snapshot written while running"
            time.sleep(0.2)
        assert client.get(f"/v1/customers/{customer}").status_code == 200  # still serving

    assert (ctx.data_dir / "localstripe.pickle").is_file()
    with running(component, ctx), stripe_client(ctx) as client:
        assert client.get(f"/v1/customers/{customer}").json()["email"] == "alice@example.com"


def test_localstripe_installs_into_an_empty_cache(tmp_path: Path) -> None:
    component = get_component("stripe")
    lines: list[str] = []
    installation = component.install(tmp_path / "cache", lines.append)
    assert installation.version == stripe_mod.DEFAULT_VERSION
    assert component.locate(tmp_path / "cache") == installation
    assert any("localstripe-1.15.10" in line for line in lines)
