"""User journeys against the platform's gateway (run by `ecomctl loadtest`, or by Locust
directly with the ECOMCTL_LOADTEST_* environment it sets).

- BrowsingUser: anonymous; lists, searches (product-search, /api/search/**) and opens
  products, reads reviews and ratings.
- ShoppingUser: a seeded account; logs in, places orders with the seeded card and follows
  each to PAID or CANCELLED, cancels some right away, refreshes its token now and then.
- AccountUser: registers a new account, logs in, refreshes, reviews a product.

Request names group ids (`/api/products/[id]`) so the report has one row per endpoint.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from journeys import Tally, next_rng, record_order, seed_data
from locust import FastHttpUser, between, task
from shapes import shape_class

CANCEL_SHARE = 0.1  # of orders cancelled right after they are placed
FOLLOW_TIMEOUT_S = 20.0
FOLLOW_POLL_S = 0.25
TERMINAL = {"PAID", "CANCELLED", "SHIPPED", "DELIVERED"}
# What BrowsingUser types into the search box (seeded products are "<sku> load test lamp").
SEARCHES: list[dict[str, str]] = [
    {"q": "lamp"},
    {"q": "load test lamps"},  # a plural
    {"q": "lmap"},  # a typo
    {"q": "lamp", "price_max": "50", "sort": "price_asc"},
    {"q": "lamp", "in_stock": "true", "page": "2"},
    {"q": "lamp", "brand": "Lumen Works"},  # seeded products have one of three brands
]


class _PlatformUser(FastHttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.number, self.rng = next_rng()
        self.seed = seed_data()

    def product_id(self) -> int:
        return int(self.rng.choice(self.seed["products"]))

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


class BrowsingUser(_PlatformUser):
    weight = 3

    @task(4)
    def product(self) -> None:
        self.client.get(f"/api/products/{self.product_id()}", name="/api/products/[id]")

    @task(2)
    def listing(self) -> None:
        page = self.rng.randint(0, 2)
        self.client.get(f"/api/products?page={page}&size=20", name="/api/products?page")

    @task(2)
    def search(self) -> None:
        """product-search (OpenSearch), as a shop's search box asks: words, a typo, a
        filter, a sort."""
        query = urlencode(self.rng.choice(SEARCHES))
        self.client.get(f"/api/search/products?{query}", name="/api/search/products")

    @task(1)
    def suggest(self) -> None:
        prefix = self.rng.choice(["l", "la", "lam", "load t", "load test l"])
        query = urlencode({"q": prefix})
        self.client.get(f"/api/search/suggest?{query}", name="/api/search/suggest")

    @task(1)
    def with_stock(self) -> None:
        pid = self.product_id()
        self.client.get(f"/api/products/{pid}/with-stock", name="/api/products/[id]/with-stock")

    @task(2)
    def reviews(self) -> None:
        pid = self.product_id()
        self.client.get(f"/api/products/{pid}/reviews", name="/api/products/[id]/reviews")
        self.client.get(f"/api/products/{pid}/rating", name="/api/products/[id]/rating")


class ShoppingUser(_PlatformUser):
    weight = 2
    wait_time = between(1.0, 2.0)

    def on_start(self) -> None:
        super().on_start()
        users = self.seed["users"]
        index = self.number % len(users)
        self.username = users[index]
        # Tokens from the seeding: argon2 logins are AccountUser's journey, not the shop's.
        self.token, self.refresh_token = self.seed["tokens"][index]

    def login(self) -> None:
        body = {"username": self.username, "password": self.seed["password"]}
        with self.client.post("/api/auth/login", json=body, catch_response=True) as answer:
            tokens = _json(answer)
            if answer.status_code != 200 or "accessToken" not in tokens:
                answer.failure(f"login answered {answer.status_code}")
                self.token, self.refresh_token = "", ""
                return
        self.token, self.refresh_token = tokens["accessToken"], tokens["refreshToken"]

    @task(1)
    def refresh(self) -> None:
        if not self.refresh_token:
            return self.login()
        body = {"refreshToken": self.refresh_token}
        with self.client.post("/api/auth/refresh", json=body, catch_response=True) as answer:
            tokens = _json(answer)
            if answer.status_code != 200 or "accessToken" not in tokens:
                answer.failure(f"refresh answered {answer.status_code}")
                self.refresh_token = ""
                return None
        self.token, self.refresh_token = tokens["accessToken"], tokens["refreshToken"]
        return None

    @task(2)
    def my_orders(self) -> None:
        self.client.get("/api/users/profile", headers=self.auth(self.token))

    @task(6)
    def checkout(self) -> None:
        order_id = self.place_order()
        if order_id is None:
            return
        cancelled = self.rng.random() < CANCEL_SHARE and self.cancel(order_id)
        record_order(order_id, cancelled=cancelled)
        self.follow(order_id)

    def place_order(self) -> int | None:
        items = [{"productId": self.product_id(), "quantity": self.rng.randint(1, 2)}]
        body = {"items": items, "paymentMethodId": self.seed["payment_method"]}
        headers = {**self.auth(self.token), "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/orders", json=body, headers=headers, catch_response=True
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"order answered {answer.status_code}")
                return None
            Tally.placed += 1
            return int(_json(answer)["id"])

    def cancel(self, order_id: int) -> bool:
        """Cancel while PENDING; 409 (already paid) is a fine answer, not an error."""
        with self.client.put(
            f"/api/orders/{order_id}/cancel",
            json={"reason": "load test"},
            headers=self.auth(self.token),
            name="/api/orders/[id]/cancel",
            catch_response=True,
        ) as answer:
            if answer.status_code in (200, 409):
                answer.success()
            return answer.status_code == 200

    def follow(self, order_id: int) -> None:
        deadline = time.monotonic() + FOLLOW_TIMEOUT_S
        while time.monotonic() < deadline:
            answer = self.client.get(
                f"/api/orders/{order_id}", headers=self.auth(self.token), name="/api/orders/[id]"
            )
            status = _json(answer).get("status")
            if status in TERMINAL:
                Tally.paid += status != "CANCELLED"
                Tally.cancelled += status == "CANCELLED"
                return
            time.sleep(FOLLOW_POLL_S)


class AccountUser(_PlatformUser):
    weight = 1
    wait_time = between(2.0, 4.0)

    def on_start(self) -> None:
        super().on_start()
        self.username = f"lt-{self.seed['tag']}-a{self.rng.getrandbits(40):010x}"
        body = {
            "username": self.username,
            "email": f"{self.username}@loadtest.example.com",
            "password": self.seed["password"],
        }
        self.client.post("/api/auth/register", json=body)
        self.token, self.refresh_token = "", ""

    @task(1)
    def login(self) -> None:
        body = {"username": self.username, "password": self.seed["password"]}
        tokens = _json(self.client.post("/api/auth/login", json=body))
        self.token = tokens.get("accessToken", "")
        self.refresh_token = tokens.get("refreshToken", "")

    @task(2)
    def refresh(self) -> None:
        if not self.refresh_token:
            return self.login()
        with self.client.post(
            "/api/auth/refresh", json={"refreshToken": self.refresh_token}, catch_response=True
        ) as answer:
            tokens = _json(answer)
            if answer.status_code != 200:
                answer.failure(f"refresh answered {answer.status_code}")
        self.token = tokens.get("accessToken", self.token)
        self.refresh_token = tokens.get("refreshToken", "")
        return None

    @task(2)
    def review(self) -> None:
        if not self.token:
            return self.login()
        body = {
            "productId": self.product_id(),
            "rating": self.rng.randint(1, 5),
            "comment": "load test review",
        }
        self.client.post("/api/reviews", json=body, headers=self.auth(self.token))
        return None


def _json(answer: Any) -> dict[str, Any]:
    try:
        body = answer.json()
    except Exception:  # an error page or an empty body: the caller reports the status
        return {}
    return body if isinstance(body, dict) else {}


# Under Locust's own command line (--web, --workers) the shape comes from the environment.
if os.environ.get("ECOMCTL_LOADTEST_SHAPE"):
    RunShape = shape_class(
        os.environ["ECOMCTL_LOADTEST_SHAPE"],
        users=int(os.environ.get("ECOMCTL_LOADTEST_USERS", "10")),
        spawn_rate=float(os.environ.get("ECOMCTL_LOADTEST_SPAWN_RATE", "5")),
        duration_s=float(os.environ.get("ECOMCTL_LOADTEST_DURATION_S", "60")),
    )
