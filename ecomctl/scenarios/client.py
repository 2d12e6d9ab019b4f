"""The platform as a client sees it: HTTP through the gateway, the Stripe emulator, the mail sink.

Field names follow the services' camelCase JSON; `pick` also accepts snake_case so a service
that answers either way is read the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from ecomctl.errors import UserError

STRIPE_KEY = "sk_test_ecomctl"  # the emulator accepts any sk_test_ key; services use this one
RATE_LIMIT_RETRIES = 20
TIMEOUT_S = 15.0


def pick(obj: dict[str, Any], *names: str, default: Any = None) -> Any:
    """The first present field among `names` (camelCase first, then snake_case)."""
    for name in names:
        if name in obj:
            return obj[name]
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
        if snake in obj:
            return obj[snake]
    return default


def items_of(body: Any) -> list[dict[str, Any]]:
    """A list answer, bare or wrapped in a page ({"items": [...]}, {"content": [...]})."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("items", "content", "data", "results", "payments", "notifications", "events"):
            if isinstance(body.get(key), list):
                return list(body[key])
    return []


@dataclass(frozen=True)
class Stock:
    available: int
    reserved: int
    sold: int


class ApiError(UserError):
    def __init__(self, method: str, path: str, response: httpx.Response) -> None:
        detail = response.text[:300].replace("\n", " ")
        super().__init__(f"{method} {path} answered {response.status_code}: {detail}")
        self.status_code = response.status_code


class Gateway:
    """The platform's public API, called exactly as a client would call it."""

    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(base_url=base_url, timeout=TIMEOUT_S)

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> httpx.Response:
        """One request; 429s are waited out as Retry-After says (the gateway's rate limit)."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        for _ in range(RATE_LIMIT_RETRIES):
            try:
                response = self.http.request(method, path, json=json, headers=sent)
            except httpx.HTTPError as exc:
                raise UserError(
                    f"{method} {path}: cannot reach the gateway ({type(exc).__name__}: {exc})",
                    hint="is the stack up? `ecomctl status`",
                ) from None
            if response.status_code != 429:
                break
            time.sleep(min(float(response.headers.get("Retry-After", "0.2") or 0.2), 2.0))
        if response.status_code not in ok:
            raise ApiError(method, path, response)
        return response

    def body(self, *args: Any, **kwargs: Any) -> Any:
        response = self.call(*args, **kwargs)
        return response.json() if response.content else None

    # ---- users -------------------------------------------------------------------------------
    def register(self, username: str, password: str, *, email: str, language: str) -> None:
        """Accepted (202) whether or not the name or address was free: user-auth does not
        tell who is registered; the mail to `email` says what happened."""
        body = {"username": username, "email": email, "password": password, "language": language}
        self.call("POST", "/api/auth/register", json=body, ok=(202,))

    def my_id(self, token: str) -> int:
        """The id of the user the token belongs to (registration does not answer it)."""
        return int(self.body("GET", "/api/users/profile", token=token)["id"])

    def login(self, username: str, password: str) -> str:
        body = self.body(
            "POST", "/api/auth/login", json={"username": username, "password": password}
        )
        return str(pick(body, "accessToken"))

    # ---- catalog and stock -------------------------------------------------------------------
    def create_product(
        self,
        token: str,
        *,
        sku: str,
        name: str,
        price: str,
        currency: str,
        brand: str | None = None,
    ) -> int:
        body = {"sku": sku, "name": name, "price": price, "currency": currency}
        if brand is not None:
            body["brand"] = brand
        return int(self.body("POST", "/api/products", token=token, json=body)["id"])

    def set_stock(self, token: str, product_id: int, quantity: int) -> None:
        self.call(
            "PUT",
            f"/api/inventory/{product_id}/stock",
            token=token,
            json={"quantity": quantity, "availableStock": quantity},
        )

    def stock(self, token: str, product_id: int) -> Stock:
        body = self.body("GET", f"/api/inventory/{product_id}", token=token)
        return Stock(
            available=int(pick(body, "availableStock", "available", default=0)),
            reserved=int(pick(body, "reservedStock", "reserved", default=0)),
            sold=int(pick(body, "soldStock", "sold", default=0)),
        )

    # ---- orders ------------------------------------------------------------------------------
    def create_order(
        self,
        token: str,
        *,
        items: list[dict[str, int]],
        payment_method_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        body = {"items": items, "paymentMethodId": payment_method_id}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        result: dict[str, Any] = self.body(
            "POST", "/api/orders", token=token, json=body, headers=headers
        )
        return result

    def order(self, token: str, order_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.body("GET", f"/api/orders/{order_id}", token=token)
        return result

    def cancel(self, token: str, order_id: int) -> httpx.Response:
        return self.call("PUT", f"/api/orders/{order_id}/cancel", token=token, ok=tuple(range(600)))

    def order_events(self, token: str, order_id: int) -> list[dict[str, Any]]:
        """The order's `order_events` rows: embedded in the order, or under /events."""
        embedded = self.order(token, order_id).get("events")
        if isinstance(embedded, list):
            return embedded
        response = self.call("GET", f"/api/orders/{order_id}/events", token=token, ok=(200, 404))
        return items_of(response.json()) if response.status_code == 200 else []

    # ---- payments and notifications ----------------------------------------------------------
    def payments_for_order(self, token: str, order_id: int) -> list[dict[str, Any]]:
        for path in (f"/api/payments/order/{order_id}", f"/api/payments?orderId={order_id}"):
            response = self.call("GET", path, token=token, ok=(200, 404, 405, 422))
            if response.status_code == 200:
                return items_of(response.json()) or _single(response.json())
        return []

    def notifications(self, token: str, user_id: int) -> list[dict[str, Any]]:
        return items_of(self.body("GET", f"/api/notifications/{user_id}", token=token))


def _single(body: Any) -> list[dict[str, Any]]:
    return [body] if isinstance(body, dict) and "id" in body else []


class StripeEmulator:
    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(
            base_url=base_url, timeout=TIMEOUT_S, auth=(STRIPE_KEY, "")
        )

    def close(self) -> None:
        self.http.close()

    def create_payment_method(self, card: str) -> str:
        form = {
            "type": "card",
            "card[number]": card,
            "card[exp_month]": "12",
            "card[exp_year]": str(time.gmtime().tm_year + 3),
            "card[cvc]": "123",
        }
        response = self.http.post("/v1/payment_methods", data=form)
        if response.status_code != 200:
            raise UserError(
                f"Stripe emulator: payment method for card …{card[-4:]} refused: "
                f"{response.text[:200]}"
            )
        return str(response.json()["id"])


class MailSink:
    """Mailpit's REST API (the SMTP sink's http port)."""

    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(base_url=base_url, timeout=TIMEOUT_S)

    def close(self) -> None:
        self.http.close()

    def messages_to(self, address: str) -> list[dict[str, Any]]:
        response = self.http.get(
            "/api/v1/search", params={"query": f'to:"{address}"', "limit": 500}
        )
        response.raise_for_status()
        return list(response.json().get("messages") or [])
