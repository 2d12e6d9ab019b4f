"""Test users, products with stock and a card, made through the platform's own APIs (the
scenario runner's client), never by writing to a database. With a seed the names are derived
from it, so a second run with the same seed finds and reuses what the first one made."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ecomctl.scenarios.client import ApiError, Gateway, StripeEmulator, items_of, pick
from ecomctl.scenarios.ports import Admin

PASSWORD = "Loadtest-pass-2024"  # letters and digits, as user-auth requires
STOCK = 1_000_000  # never the bottleneck: out-of-stock has its own scenario
CARD_OK = "4242424242424242"
# Seeded products take turns: the browse profile filters searches by the first one.
BRANDS = ("Lumen Works", "Brightway", "Nordvik")


@dataclass(frozen=True)
class SeedData:
    """What the locustfile reads (as JSON, so Locust workers in other processes can too)."""

    tag: str
    password: str
    users: list[str]
    tokens: list[list[str]]  # [access, refresh] per user: logins (argon2) stay out of the load
    products: list[int]
    payment_method: str
    random_seed: int

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> SeedData:
        return cls(**json.loads(path.read_text()))


def seed_platform(
    gateway: Gateway,
    stripe: StripeEmulator,
    admin: Admin,
    *,
    seed: int | None,
    users: int,
    products: int,
) -> SeedData:
    random_seed = seed if seed is not None else secrets.randbelow(2**31)
    tag = f"s{seed}" if seed is not None else secrets.token_hex(3)
    username, password = admin.credentials()
    token = gateway.login(username, password)
    product_ids = [_product(gateway, token, tag, i) for i in range(products)]
    for product_id in product_ids:
        gateway.set_stock(token, product_id, STOCK)
    names = [_user(gateway, tag, i) for i in range(users)]
    tokens = [_tokens(gateway, name) for name in names]
    card = stripe.create_payment_method(CARD_OK)
    return SeedData(tag, PASSWORD, names, tokens, product_ids, card, random_seed)


def _product(gateway: Gateway, token: str, tag: str, index: int) -> int:
    sku = f"lt-{tag}-p{index:03d}"
    price = f"{5 + index % 40}.{index % 100:02d}"
    try:
        return gateway.create_product(
            token,
            sku=sku,
            name=f"{sku} load test lamp",
            price=price,
            currency="USD",
            brand=BRANDS[index % len(BRANDS)],
        )
    except ApiError as exc:
        if exc.status_code != 409:
            raise
    found = gateway.body("GET", f"/api/products?name={sku}&size=5")
    return int(next(p["id"] for p in items_of(found) if pick(p, "sku") == sku))


def _tokens(gateway: Gateway, username: str) -> list[str]:
    body = gateway.body(
        "POST", "/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    return [str(pick(body, "accessToken")), str(pick(body, "refreshToken"))]


def _user(gateway: Gateway, tag: str, index: int) -> str:
    name = f"lt-{tag}-u{index:03d}"
    # Made by an earlier run with this seed or not, the answer is the same (202).
    gateway.register(name, PASSWORD, email=f"{name}@loadtest.example.com", language="en")
    return name


def seed_counts(users: int) -> dict[str, Any]:
    """One account per simulated shopper (the gateway limits each user to 100 req/s)."""
    return {"users": max(5, min(users, 200)), "products": 20}
